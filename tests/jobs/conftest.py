from tests.test_security_corpus import corpus, corpus_files  # noqa: F401 - the shared corpus fixtures
