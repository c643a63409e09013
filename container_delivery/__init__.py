"""container-delivery: CDK constructs for delivering one container image, built once, by digest.

This package root imports nothing from aws-cdk-lib on purpose: the scan gate
(``container_delivery.scan_gate``) runs inside CodeBuild with only the standard library and PyYAML.
"""

__version__ = "0.1.0"
