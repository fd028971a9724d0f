# The config loader: YAML text in, diagnostics or a model (and every render) out.
ramp_fuzzer(ConfigLoaderFuzzer ramp_config)
