"""The practices room: how a repository versions what a prediction depends on.

* :mod:`~miners.practices.repo_practices`: one row of ``repo_practices.csv`` per repository;
* :mod:`~miners.practices.envspec`: the one reader of declared environments (also used by the
  rerun harness to install them).
"""
