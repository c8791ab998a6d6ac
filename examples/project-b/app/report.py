"""Project B: builds a report from an API and a YAML config."""
import boto3
import pandas as pd
import requests
import yaml


def build(config_path: str) -> pd.DataFrame:
    with open(config_path) as handle:
        config = yaml.safe_load(handle)
    frame = pd.DataFrame(requests.get(config["url"], timeout=10).json())
    boto3.client("s3").put_object(Bucket=config["bucket"], Key="r.csv", Body=frame.to_csv())
    return frame
