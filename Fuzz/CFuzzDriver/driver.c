/* Header-only module: declares libFuzzer's driver for Fuzz/Harness. */
