"""The scan room: the static miner, from a repository's files to its call sites.

* :mod:`~miners.scan.files`: which files are candidates;
* :mod:`~miners.scan.notebooks`, :mod:`~miners.scan.ipython`: notebooks as Python;
* :mod:`~miners.scan.collect`, :mod:`~miners.scan.names`, :mod:`~miners.scan.detectors`,
  :mod:`~miners.scan.analyze`: one file's bytes to its sites;
* :mod:`~miners.scan.pool`, :mod:`~miners.scan.cache`: parser processes and the per-file cache;
* :mod:`~miners.scan.features`: repository features from files and sites;
* :mod:`~miners.scan.tables`: ``python -m miners scan``, the three tables.
"""
