"""The rerun harness: re-execute projects in a sandbox and measure how their logged metrics vary.

One module per job, each docstring its definition:

* what and how: :mod:`~miners.rerun.conditions` (the registry of conditions),
  :mod:`~miners.rerun.config` (a rerun's settings), :mod:`~miners.rerun.vocab` (every value of
  the categorical columns), :mod:`~miners.rerun.interventions` (the wording of what the harness
  did beyond running a project as committed);
* which projects: :mod:`~miners.rerun.sampling` (which projects, in which order),
  :mod:`~miners.rerun.checkout` (their complete work tree, LFS pointers and absolute-path
  mappings), :mod:`~miners.rerun.prepare` (what every run of a project shares);
* what to run: :mod:`~miners.rerun.recipes` (candidate commands, ranked),
  :mod:`~miners.rerun.probe` (the first run: which recipe to keep, repairs);
* with which packages: :mod:`~miners.rerun.environment` (the build), from
  :mod:`~miners.rerun.sources` (where requirements come from), :mod:`~miners.rerun.imports`
  (the imports of the files run), :mod:`~miners.rerun.interpreter` (which Python),
  :mod:`~miners.rerun.requirements` (requirement lines), :mod:`~miners.rerun.install` (the
  install and its retries), :mod:`~miners.rerun.wheels` (binary-only packages, the torch wheel);
* the runs: :mod:`~miners.rerun.sandbox` (isolation), :mod:`~miners.rerun.capture` (what the
  project logged), :mod:`~miners.rerun.execute` (one run), :mod:`~miners.rerun.outcome` (its
  status), :mod:`~miners.rerun.harness` (every run of every project),
  :mod:`~miners.rerun.records` (what is recorded);
* the tables: :mod:`~miners.rerun.variance` and :mod:`~miners.rerun.publish` (the CSVs),
  :mod:`~miners.rerun.readings` (the harness against a reading), :mod:`~miners.rerun.bench`
  (its own cost).

Each name is imported from the module that defines it (``from miners.rerun.harness import
rerun``): the package itself imports nothing, so that importing one module of it (the
vocabularies, say) does not import the harness.
"""
