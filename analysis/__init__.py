"""mlflow-mining analysis: turns the published results/ CSVs into tables, tests and paper numbers."""
