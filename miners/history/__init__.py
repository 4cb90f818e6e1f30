"""The history room: each cloned repository's commits up to its pinned commit, walked with
PyDriller (:mod:`miners.history.walk`), and the two tables made from them
(:mod:`miners.history.tables`): ``repo_history.csv`` and ``history_events.csv``."""
