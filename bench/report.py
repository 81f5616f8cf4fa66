"""The benchmark's results as Markdown: one table per case, ratios against audiofeed."""

from __future__ import annotations

AF = "audiofeed publish"

TITLES = {
    "a": "(a) first publish, {big_n} recordings of {big_mib} MiB",
    "b": "(b) first publish, {small_n} small recordings",
    "c-a": "(c) no-op republish of (a)",
    "c-b": "(c) no-op republish of (b)",
    "c-first": "first publish of the {noop_n}-episode show (for (c))",
    "c-1000": "(c) no-op republish of the {noop_n}-episode show",
    "d": "(d) republish after changing one description (show of (b))",
    "e": "(e) feed + archive build, {feed_n} episodes (in-process, imports excluded)",
    "f": "(f) peak RSS, tag + publish one recording to a local folder",
    "g": "(g) start-up",
}


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "–" if x is None else format(x, spec)


def markdown(data: dict) -> str:
    sizes = dict(data["sizes"])
    sizes["big_mib"] = sizes["big_size"] // (1 << 20)
    out = [f"# audiofeed benchmark ({data['runs']} runs, medians)", ""]
    env = data["env"]
    out.append(
        "Machine: {machine}, Python {python}; load average before {lb}, after {la}; "
        "total {total_s} s.".format(
            lb=" ".join(f"{x:.1f}" for x in env["load_before"]),
            la=" ".join(f"{x:.1f}" for x in env.get("load_after", env["load_before"])),
            **env,
        )
    )
    out.append("")
    out.append(
        "Versions: "
        + "; ".join(
            f"{k} {v}"
            for k, v in env.items()
            if k not in {"machine", "python", "load_before", "load_after", "total_s"}
        )
    )
    out.append("")
    results = data["results"]
    for case, title in TITLES.items():
        if case not in results:
            continue
        res = results[case]
        out += [f"## {title.format(**sizes)}", ""]
        if res.get("bytes"):
            out.append(f"{res['files']} files, {res['bytes'] / (1 << 20):.1f} MiB.")
            out.append("")
        out.append(
            "| tool | wall s (min–max) | vs audiofeed | MiB/s | files/s | client CPU s"
            " | CPU s/GiB | server CPU s | peak RSS MiB |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|")
        tools = res["tools"]
        ref = next((t for name, t in tools.items() if name.startswith("audiofeed")), None)
        for name, t in tools.items():
            lo, hi = t["wall_min_max"]
            ratio = t["wall_s"] / ref["wall_s"] if ref and ref["wall_s"] else None
            out.append(
                f"| {name} | {t['wall_s']:.3f} ({lo:.2f}–{hi:.2f}) | {_fmt(ratio)}x"
                f" | {_fmt(t['mib_per_s'], '.0f')} | {_fmt(t['files_per_s'], '.0f')}"
                f" | {t['cpu_s']:.2f} | {_fmt(t['cpu_s_per_gib'])} | {t['server_cpu_s']:.2f}"
                f" | {t['peak_rss_mib']:.0f} |"
            )
        if "phases" in res:
            out.append("")
            for mode, phases in res["phases"].items():
                out.append(f"- {mode}: " + ", ".join(f"{k} {v:.3f} s" for k, v in phases.items()))
        out.append("")
    build = results.get("build")
    if build:
        out += ["## audiofeed's own build (tag + feed, to the local folder the peers upload)", ""]
        for case, b in build.items():
            if isinstance(b, list):
                out.append(
                    f"- ({case}) rebuild after the change: "
                    + ", ".join(f"{x:.2f}" for x in b)
                    + " s"
                )
            else:
                out.append(
                    f"- ({case}) {b['files']} files, {b['bytes'] / (1 << 20):.1f} MiB: "
                    f"{b['wall_s']:.2f} s wall, {b['cpu_s']:.2f} s CPU"
                )
        out.append("")
    for case, notes in data.get("notes", {}).items():
        for note in notes:
            out.append(f"- note ({case}): {note}")
    return "\n".join(out) + "\n"
