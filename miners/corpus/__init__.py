"""The corpus room: which repositories are studied, and their files at a pinned commit.

* :mod:`~miners.corpus.discover`: GitHub search by the protocol's topics and queries;
* :mod:`~miners.corpus.frame`: a fixed sampling frame instead of a search;
* :mod:`~miners.corpus.sample`: the seeded sample;
* :mod:`~miners.corpus.clone`, :mod:`~miners.corpus.clone_stage`: one repository, and many,
  cloned at a pinned commit with only the files the miners read;
* :mod:`~miners.corpus.fingerprint`: near-duplicate families;
* :mod:`~miners.corpus.demo`: the bundled sample corpus served as git repositories.
"""
