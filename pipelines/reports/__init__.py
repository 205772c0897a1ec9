"""What the district sends and shows: Parquet exports, the Excel report, the HTML report."""
