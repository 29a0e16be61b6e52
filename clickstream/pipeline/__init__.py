"""The pipeline around dbt: paths, refresh (dbt build per landing day), Parquet export, run audit,
the warehouse reader, the docs site and the sample run."""
