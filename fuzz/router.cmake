# The router's request parser (strict HTTP/1.1 head + chunked body framing).
ramp_fuzzer(HttpRequestParserFuzzer ramp_router)
