"""The cluster fixture: the whole production shape, started once for the module.

On a machine without PostgreSQL's server, Redis, nginx or openssl, the
cluster tests skip with a loud reason; under CI=true they fail (.ci/run
installs them).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.harness import Cluster, ServiceMissing, require_binaries

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    try:
        bins = require_binaries()
    except ServiceMissing as missing:
        reason = (
            f"the cluster tests need {missing} "
            "(apt-get install postgresql-15 redis-server nginx openssl)"
        )
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(f"!!! SKIPPED LOUDLY: {reason}")
    folder = Path(tempfile.mkdtemp(prefix="cluster-"))
    folder.chmod(0o755)
    shape = Cluster(folder=folder, bins=bins)
    try:
        shape.start()
        yield shape
    finally:
        shape.close()
        if os.environ.get("KEEP_CLUSTER_LOGS"):
            print(f"[cluster] logs kept in {folder}")
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
