"""`make check` for step 7: the score is a DVC metric, and experiments were run, compared and kept.

The metric is checked in a scratch copy after `dvc repro`; the experiments and the tag are
read from your repository's git refs (`dvc exp run` keeps each experiment as one).
"""

from checklib import METRICS, Fail, Work, check, dvc_json, expected_f1, main, reproduced, score, tracked_by_git

STEP = "step-7-metrics-and-experiments"
HINT_METRIC = "the TODO in dvc.yaml: the evaluate stage's metrics"
HINT_EXP = "the README's exercise: dvc exp run -n <name> -S <param>=<value>, twice, then dvc exp show"
HINT_TAG = "apply the better experiment (dvc exp apply <name>), commit it, then git tag -a <name> -m <message>"


@check(f"dvc metrics show reads the score from {METRICS}")
def metric(work: Work) -> None:
    shown = dvc_json(work, reproduced(work), "metrics", "show")
    # {"": {"data": {path: {"data": {...}}}}}: the workspace, then each metrics file
    files = {path: entry.get("data") for path, entry in shown.get("", {}).get("data", {}).items()}
    if files.get(METRICS) is None:
        raise Fail(f"{METRICS} among the metrics", ", ".join(files) or "no metrics", HINT_METRIC)
    score(files[METRICS], HINT_METRIC, expected_f1(work))


@check(f"{METRICS} is tracked by git, so each commit carries its score")
def in_git(work: Work) -> None:
    tracked_by_git(work, METRICS, HINT_METRIC + " (cache: false)")


@check("two or more named experiments (dvc exp run -n)", needs_previous=False)
def experiments(work: Work) -> None:
    # refs/exps/<baseline[:2]>/<baseline[2:]>/<name>: experiments run on a commit of this branch's history
    history = set(work.git("rev-list", work.rev or "HEAD").split())
    refs = [ref.split("/") for ref in work.git("for-each-ref", "--format=%(refname)", "refs/exps").split()]
    names = {parts[4] for parts in refs if len(parts) == 5 and parts[2] + parts[3] in history}
    if len(names) < 2:
        raise Fail(
            "at least 2 experiments run on this branch", f"{len(names)}: {', '.join(sorted(names)) or '-'}", HINT_EXP
        )


@check("a tagged commit of yours with its score (the experiment you kept)", needs_previous=False)
def tagged(work: Work) -> None:
    tags = work.git("tag", "--merged", work.rev or "HEAD").split()
    with_score = [tag for tag in tags if work.git("rev-parse", "-q", "--verify", f"{tag}:{METRICS}", check=False)]
    if not with_score:
        raise Fail(
            f"a tag on this branch's history, on a commit with {METRICS}",
            f"tags: {', '.join(tags) or 'none'}",
            HINT_TAG,
        )


CHECKS = [metric, in_git, experiments, tagged]

if __name__ == "__main__":
    raise SystemExit(main(STEP, CHECKS))
