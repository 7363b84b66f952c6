"""The API's resolver: routes + error mapping. Built once; the api function and `mnemoscope serve` share it."""

import functools

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from mnemoscope.api import message_routes, routes, search_routes
from mnemoscope.api.errors import register_error_handlers


@functools.cache
def api_app() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver(enable_validation=True)
    app.include_router(routes.router)
    app.include_router(search_routes.router)
    app.include_router(message_routes.router)
    register_error_handlers(app)
    return app
