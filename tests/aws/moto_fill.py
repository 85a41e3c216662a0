#!/usr/bin/env python3
"""Test helper: uploads objects to the local S3 server with boto3.

    moto_fill.py ENDPOINT BUCKET many PREFIX COUNT   COUNT small objects PREFIX00000..
    moto_fill.py ENDPOINT BUCKET put KEY FILE [KEY FILE...]   objects from FILEs

Used by the integration tests where an independent client (boto3, like the
uploaders dancer serves) must create the objects: bulk keys for pagination,
and uploads that trigger real bucket notifications.
"""
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config


def client(endpoint):
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=Config(max_pool_connections=16))


def main(argv):
    endpoint, bucket, verb = argv[1:4]
    s3 = client(endpoint)
    if verb == "many":
        prefix, count = argv[4], int(argv[5])
        keys = [f"{prefix}{i:05d}" for i in range(count)]
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x"), keys))
    elif verb == "put":
        pairs = argv[4:]
        for key, path in zip(pairs[::2], pairs[1::2]):
            with open(path, "rb") as f:
                s3.put_object(Bucket=bucket, Key=key, Body=f.read(), ContentType="video/mp4",
                              Metadata={"subject-height-cm": "172"})
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
