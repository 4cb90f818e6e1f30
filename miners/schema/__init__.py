"""The schema of the published tables, shared by the miners (who write them) and the analysis
(which reads them): per table its columns (name, type, unit, definition, allowed values, keys),
and the vocabularies the stages share. See :mod:`miners.schema.ids` for repository identities.
"""
