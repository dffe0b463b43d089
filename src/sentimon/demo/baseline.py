"""The drill's drift reference: the traffic it just sent, made the running stack's reference.

Against the test split, the drill's everyday texts already score as drift (they are
shorter than tweets and reviews), so the drill does what an operator does on a new
deployment: it re-baselines from a stretch of normal traffic. It works on a copy of
the model card under the stack's state directory and hands the regenerated rules to
the running Prometheus, so the repository's card and rules stay as shipped; the next
`sentimon stack up` renders deploy/ again and the drill's reference is gone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sentimon.quality.rebaseline import Rebaselined, rebaseline
from sentimon.stack import launcher
from sentimon.stack.settings import StackSettings

RULES_NAME = "model_quality.yml"


def drill_reference(
    settings: StackSettings,
    prometheus_url: str,
    model_dir: Path,
    seconds: float,
    min_predictions: int = 200,
) -> Rebaselined:
    """Make the last `seconds` of traffic the drift reference of the running stack."""
    work = launcher.state_dir(settings) / "demo"
    model = work / "model"
    shutil.rmtree(model, ignore_errors=True)
    shutil.copytree(model_dir, model)
    rules = work / RULES_NAME
    # Start from the shipped rules, so the regenerated file keeps their window.
    shutil.copyfile(settings.deploy_dir / "prometheus" / "rules" / RULES_NAME, rules)
    done = rebaseline(
        model, prometheus_url, f"{round(seconds * 1000)}ms", rules, min_predictions=min_predictions
    )
    launcher.replace_rules(settings, rules)
    return done
