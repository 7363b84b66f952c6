"""End-to-end memory evaluation through the public HTTP API: LoCoMo (and LongMemEval) QA with judges and baselines.

The CLI (`mnemoscope eval`) builds the models and the client; everything here talks to the service only through
`MemoryClient` and to models only through the ChatModel port."""
