"""The scan room: the static miner, from a repository's files to its call sites.

* :mod:`~miners.scan.files`: which files are candidates;
* :mod:`~miners.scan.notebooks`, :mod:`~miners.scan.ipython`: notebooks as Python;
* :mod:`~miners.scan.collect`, :mod:`~miners.scan.names`, :mod:`~miners.scan.detectors`,
  :mod:`~miners.scan.analyze`: one file's bytes to its sites;
* :mod:`~miners.scan.detail`: the ``detail`` column, written and read;
* :mod:`~miners.scan.records`: the typed records (site, file result, scanned file, repository)
  and their rows;
* :mod:`~miners.scan.pool`, :mod:`~miners.scan.cache`: parser processes and the per-file cache;
* :mod:`~miners.scan.scanner`: :func:`~miners.scan.scanner.scan_repo`, one repository into its
  records (``mine`` tasks), and the :class:`~miners.scan.scanner.Scanner` that scans many;
* :mod:`~miners.scan.features`: repository features from files and sites;
* :mod:`~miners.scan.tables`: ``python -m miners scan``, the three tables.

Importing this package imports none of its modules (the analysis reads ``detail`` through
:mod:`~miners.scan.detail` without loading the parser).
"""
