"""Two result files, question by question: paired bootstrap CI of the difference and McNemar's test."""

from typing import Any

from mnemoscope.evaluation.stats import mcnemar, paired_bootstrap


def compare(a: dict[str, Any], b: dict[str, Any], system_a: str, system_b: str) -> dict[str, Any]:
    """Questions answered in both (matched by conversation and question id). J per question is the mean over
    judge runs; for McNemar a question counts as correct when the majority of runs said so (a tie is wrong)."""
    rows_a = {(q["conversation"], q["question_id"]): q for q in a["questions"] if q["system"] == system_a}
    rows_b = {(q["conversation"], q["question_id"]): q for q in b["questions"] if q["system"] == system_b}
    common = sorted(set(rows_a) & set(rows_b))
    if not common:
        raise ValueError(f"no question answered by both {system_a!r} (A) and {system_b!r} (B)")
    out: dict[str, Any] = {
        "questions": len(common),
        "only_in_a": len(rows_a) - len(common),
        "only_in_b": len(rows_b) - len(common),
    }
    for metric in ("f1", "j"):
        pairs = [
            (rows_a[k][metric], rows_b[k][metric])
            for k in common
            if rows_a[k][metric] is not None and rows_b[k][metric] is not None
        ]
        if not pairs:
            continue
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        diff, low, high = paired_bootstrap(xs, ys)
        out[metric] = {
            "n": len(pairs),
            "a": sum(xs) / len(xs),
            "b": sum(ys) / len(ys),
            "b_minus_a": diff,
            "ci95": [low, high],
        }
        if metric == "j":
            only_a, only_b, p = mcnemar([x > 0.5 for x in xs], [y > 0.5 for y in ys])
            out[metric]["mcnemar"] = {"only_a_correct": only_a, "only_b_correct": only_b, "p_value": p}
    return out


def describe(result: dict[str, Any]) -> str:
    lines = [f"{result['questions']} questions in both files"]
    for metric in ("j", "f1"):
        if metric not in result:
            continue
        m = result[metric]
        line = (
            f"{metric.upper():>2}: A {100 * m['a']:.1f} %  B {100 * m['b']:.1f} %  B-A {100 * m['b_minus_a']:+.1f} pts "
            f"(95 % CI {100 * m['ci95'][0]:+.1f} … {100 * m['ci95'][1]:+.1f})"
        )
        if "mcnemar" in m:
            mc = m["mcnemar"]
            line += f"  McNemar: only A {mc['only_a_correct']}, only B {mc['only_b_correct']}, p = {mc['p_value']:.3g}"
        lines.append(line)
    return "\n".join(lines)
