"""Hypothesis profiles of the fuzz suite: `bounded` (the default, part of the normal test command) and `long`
(`DSE_FUZZ_PROFILE=long`, 10,000 examples per surface unless `DSE_FUZZ_EXAMPLES` says otherwise;
docs/conventions.md). No example database is
written, so a run leaves nothing in the checkout."""

import os
from datetime import timedelta

from hypothesis import HealthCheck, settings

_COMMON = dict(database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                    HealthCheck.filter_too_much])
settings.register_profile("bounded", max_examples=12, deadline=timedelta(seconds=20), derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=int(os.environ.get("DSE_FUZZ_EXAMPLES", 10_000)), deadline=timedelta(seconds=30), **_COMMON)
settings.load_profile(os.environ.get("DSE_FUZZ_PROFILE", "bounded"))
