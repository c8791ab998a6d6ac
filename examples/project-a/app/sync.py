"""Project A: copies a report to S3."""

import boto3
import pandas as pd
import requests


def upload(url: str, bucket: str) -> None:
    frame = pd.DataFrame(requests.get(url, timeout=10).json())
    boto3.client("s3").put_object(Bucket=bucket, Key="report.csv", Body=frame.to_csv())
