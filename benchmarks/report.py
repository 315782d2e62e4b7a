"""The report: one table from the results of every section, and the
verdicts on the targets."""

from __future__ import annotations

import statistics
from typing import Any, Callable, Dict, List, Optional

from cases.store import OPS, SQLITE_INSERTED
from harness import PAGE, Case, Settings, paired

# Targets from issue 6 (ratios measured in the same run).
TARGET_FLOOR_RATIO = 1.10  # describe page of 100 / its floor (g + h1), ratio of medians
# The delete's target, as issue 11 decided it: intercept / the parse-only
# interceptor (c3), the paired ratio. The Stubber + parse sum (b + c1) is
# printed as information, with no verdict.
TARGET_DELETE_RATIO = 1.10
TARGET_MOTO_SPEEDUP = 4.0
TARGET_SCALING_RATIO = 1.2
TARGET_BYTES_PER_SNAPSHOT = 2048


def verdict(ok: Optional[bool]) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "FAIL")


def spread(case: Case, scale: float = 1.0, width: int = 8, digits: int = 1) -> str:
    low, high = min(case.samples) * scale, max(case.samples) * scale
    return f"{low:{width}.{digits}f} {high:{width}.{digits}f}"


Out = Callable[[str], None]


def report(settings: Settings, info: Dict[str, str], r: Dict[str, Any], keep_gc: bool, wall: float) -> None:
    """Print the table: one block per section, then the verdicts."""
    lines: List[str] = []
    out = lines.append
    out("=" * 100)
    kind = "QUICK" if settings.quick else "full"
    out(f"redshift-intercept benchmark, issue 6 ({kind} run)")
    for key, value in info.items():
        out(f"  {key + ':':24}{value}")
    out(f"  {'method:':24}per section, timed batches of every case interleaved round by round; "
        f"medians; GC {'ON' if keep_gc else 'off'} in timed regions")
    out("")
    delete = delete_numbers(r["main"], r["moto"])
    page = page_numbers(r["page"])
    delete_section(out, settings, r["main"], r["moto"], delete)
    page_section(out, settings, r["page"], r["page_moto"], page)
    listing_section(out, settings, r["listing"], r["page_moto"], page["f"])
    store_section(out, settings, r["scaling"])
    memory_section(out, settings, r["memory"])
    startup_section(out, settings, r["startup"])
    threads_section(out, settings, r["threads"])
    targets_section(out, r["scaling"], r["memory"], delete, page)
    out(f"total benchmark time: {wall:.0f} s")
    out("=" * 100)
    print("\n".join(lines), flush=True)


def delete_numbers(main: Dict[str, Any], moto: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Medians and ratios of the delete (rows a-e), for its block and the verdicts."""
    cases = main["cases"]
    n: Dict[str, Any] = {
        "a": cases["intercept"].median, "b": cases["stubber"].median, "c1": cases["parse"].median,
        "combined": cases["combined"].median, "inert": cases["inert"].median, "parsing": cases["parsing"].median,
    }
    n["floor"] = n["b"] + n["c1"]
    rounds = list(zip(cases["intercept"].samples, cases["stubber"].samples, cases["parse"].samples,
                      cases["combined"].samples, cases["parsing"].samples, strict=True))
    n["paired_floor"] = statistics.median(x[0] / (x[1] + x[2]) for x in rounds)
    n["paired_combined"] = statistics.median(x[0] / x[3] for x in rounds)
    n["paired_parsing"] = statistics.median(x[0] / x[4] for x in rounds)
    n["paired_stubber"] = statistics.median(x[0] / x[1] for x in rounds)
    n["m"] = None
    if moto is not None:
        n["m"], n["moto_ref"] = moto["moto"].median, moto["intercept"].median
        n["paired_moto"] = paired(moto["moto"].samples, moto["intercept"].samples)
    return n


def page_numbers(page: Dict[str, Any]) -> Dict[str, float]:
    """Medians and ratios of the page of 100 (rows f-h)."""
    pc = page["cases"]
    n = {"f": pc["intercept"].median, "g": pc["stubber"].median, "h1": pc["parse"].median,
         "h2": pc["combined"].median, "h3": pc["parsing"].median}
    n["floor"] = n["g"] + n["h1"]
    n["paired_floor"] = statistics.median(x[0] / (x[1] + x[2]) for x in zip(
        pc["intercept"].samples, pc["stubber"].samples, pc["parse"].samples, strict=True))
    return n


def delete_section(out: Out, settings: Settings, main: Dict[str, Any], moto: Optional[Dict[str, Any]],
                   n: Dict[str, Any]) -> None:
    cases = main["cases"]
    a, b, c1, floor, combined = n["a"], n["b"], n["c1"], n["floor"], n["combined"]
    parsing, inert, m = n["parsing"], n["inert"], n["m"]
    out(f"per call, delete_cluster_snapshot (median of {settings.repeats} x {settings.batch})"
        "                      us/call      min      max")
    out(f"  a.  intercept() (MemoryBackend)                                    {a:9.1f} "
        f"{spread(cases['intercept'])}")
    out(f"  b.  botocore Stubber (no parsing)                                  {b:9.1f} "
        f"{spread(cases['stubber'])}")
    out(f"  c1. botocore query parser alone, same XML ({main['xml_bytes']} bytes)            "
        f"{c1:9.1f} {spread(cases['parse'])}")
    out(f"  c.  b + c1: Stubber + parse, timed separately (information)        {floor:9.1f}")
    out(f"  c2. b + c1 in one loop (stubbed call, then parse)                  {combined:9.1f} "
        f"{spread(cases['combined'])}")
    out(f"  c3. FLOOR: parse-only interceptor (only parses c1's XML)           {parsing:9.1f} "
        f"{spread(cases['parsing'])}")
    if moto is not None:
        out(f"  d.  moto mock_aws (median of {settings.moto_repeats} x {settings.moto_batch})"
            f"                               {m:9.1f} {spread(moto['moto'])}")
        out(f"      intercept() batches interleaved with d                         {n['moto_ref']:9.1f} "
            f"{spread(moto['intercept'])}")
    else:
        out("  d.  moto mock_aws                                                  not installed")
    out(f"  e.  Stubber, our handlers present, no interceptor active           {inert:9.1f} "
        f"{spread(cases['inert'])}")
    out(f"      e - b = {inert - b:+.1f} us: what importing redshift_intercept costs a call it does not answer")
    out(f"  same answer from a, b and c1: {'yes' if main['equivalent'] else 'NO'}")
    out("")
    out("ratios                                    of medians   paired (median of per-round ratios)")
    out(f"  intercept / FLOOR (c3, parse-only)         {a / parsing:6.3f}      {n['paired_parsing']:6.3f}"
        f"      target <= {TARGET_DELETE_RATIO:.2f}, paired")
    out(f"  intercept / Stubber + parse (b + c1)       {a / floor:6.3f}      {n['paired_floor']:6.3f}"
        "      information")
    out(f"  intercept / b + c1 in one loop (c2)        {a / combined:6.3f}      {n['paired_combined']:6.3f}")
    out(f"  intercept / Stubber                        {a / b:6.3f}      {n['paired_stubber']:6.3f}")
    out(f"  c3 / (b + c1): a parse's in-call overhead   {parsing / floor:6.3f}")
    out(f"  intercept above the floor (c3)           {a - parsing:+7.1f} us/call;  "
        f"above b + c1 {a - floor:+7.1f} us/call")
    if m is not None:
        out(f"  moto / intercept (a)                       {m / a:6.2f}")
        out(f"  moto / intercept (interleaved with d)      {m / n['moto_ref']:6.2f}      {n['paired_moto']:6.2f}"
            f"      target >= {TARGET_MOTO_SPEEDUP:.1f}")
    out("")


def page_section(out: Out, settings: Settings, page: Dict[str, Any], page_moto: Optional[Dict[str, Any]],
                 n: Dict[str, float]) -> None:
    pc = page["cases"]
    f, g, h1, page_floor, h2, h3 = n["f"], n["g"], n["h1"], n["floor"], n["h2"], n["h3"]
    out(f"describe_cluster_snapshots, a page of 100 full snapshots (MaxRecords=100, {PAGE + 1} stored: the page "
        "carries a Marker)")
    out(f"  median of {settings.page_repeats} x {settings.page_batch} calls"
        "                                                 us/call      min      max")
    out(f"  f.  intercept() (MemoryBackend, add_snapshot records)              {f:9.1f} {spread(pc['intercept'])}")
    out(f"  g.  botocore Stubber answering the same page (no parsing)          {g:9.1f} {spread(pc['stubber'])}")
    out(f"  h1. botocore query parser alone, same page XML ({page['xml_bytes']:,} bytes)    "
        f"{h1:9.1f} {spread(pc['parse'])}")
    out(f"  h.  FLOOR = g + h1 (Stubber + parse, timed separately)             {page_floor:9.1f}")
    out(f"  h2. floor as one loop (stubbed call, then parse)                   {h2:9.1f} {spread(pc['combined'])}")
    out(f"  h3. floor as an interceptor (handler that only parses h1's XML)    {h3:9.1f} {spread(pc['parsing'])}")
    if page_moto is not None:
        pm, pm_ref = page_moto["moto"].median, page_moto["intercept"].median
        out(f"  i.  moto mock_aws, 100 stored (median of {settings.moto_page_repeats} x "
            f"{settings.moto_page_batch})                   {pm:9.1f} {spread(page_moto['moto'])}")
        out(f"      intercept() pages interleaved with i                           {pm_ref:9.1f} "
            f"{spread(page_moto['intercept'])}")
        out(f"      (fields per snapshot: ours {page['fields']}, moto's {page_moto['fields']}; moto seeded by "
            f"create_cluster_snapshot, {page_moto['create_us']:.0f} us each)")
    else:
        out("  i.  moto mock_aws                                                  not installed")
    out(f"  same answer from f, g and h1: {'yes' if page['equivalent'] else 'NO'}")
    out("  ratios                                  of medians   paired")
    out(f"  intercept / floor (g + h1)                 {f / page_floor:6.3f}      {n['paired_floor']:6.3f}"
        f"      target <= {TARGET_FLOOR_RATIO:.2f}")
    out(f"  intercept / floor in one loop (h2)         {f / h2:6.3f}      "
        f"{paired(pc['intercept'].samples, pc['combined'].samples):6.3f}")
    out(f"  intercept / floor as interceptor (h3)      {f / h3:6.3f}      "
        f"{paired(pc['intercept'].samples, pc['parsing'].samples):6.3f}")
    out(f"  h3 / (g + h1): the floor's own in-call overhead   {h3 / page_floor:6.3f}")
    out(f"  intercept above the floor (g + h1)    {f - page_floor:+9.1f} us/page ({(f - page_floor) / PAGE:+.1f} us "
        f"per snapshot);  above h3 {f - h3:+9.1f} us/page")
    if page_moto is not None:
        out(f"  moto / intercept (interleaved with i)      {pm / pm_ref:6.2f}      "
            f"{paired(page_moto['moto'].samples, page_moto['intercept'].samples):6.2f}")
    out("")


def listing_section(out: Out, settings: Settings, listing: Dict[str, Any], page_moto: Optional[Dict[str, Any]],
                    f: float) -> None:
    """The paginated listing (rows j-l); ``f`` is a page of 100 (row f)."""
    lc, pages, size = listing["cases"], listing["pages"], listing["size"]
    j, k1, k2 = lc["intercept"].median, lc["stubber"].median, lc["parse"].median
    list_floor = k1 + k2
    paired_list = statistics.median(x[0] / (x[1] + x[2]) for x in zip(
        lc["intercept"].samples, lc["stubber"].samples, lc["parse"].samples, strict=True))
    out(f"describe_cluster_snapshots, a paginated listing of {size:,} snapshots (boto3 paginator, PageSize 100: "
        f"{pages} pages)")
    out(f"  median of {settings.listing_repeats} listings per case"
        "                                total s   us/page    min s    max s")
    us_s, per_page = 1e-6, 1.0 / pages

    def listing_row(label: str, case: Optional[Case], value: float) -> str:
        tail = "" if case is None else " " + spread(case, us_s, 8, 2)
        return f"  {label:61}{value * us_s:8.2f} {value * per_page:9.0f}{tail}"

    out(listing_row("j.  intercept() (MemoryBackend, fast-path records)", lc["intercept"], j))
    out(listing_row(f"k1. Stubber answering the same {pages} pages (no parsing)", lc["stubber"], k1))
    out(listing_row(f"k2. botocore query parser alone, the same {pages} page XMLs", lc["parse"], k2))
    out(listing_row(f"k.  FLOOR = k1 + k2 (floor per page x {pages} pages)", None, list_floor))
    out(f"  l.  moto mock_aws: skipped ({listing_moto_reason(page_moto, size)})")
    out(f"  same pages from j, k1 and k2: {'yes' if listing['equivalent'] else 'NO'}   (seeded {size:,} by the "
        f"fast path, a minute apart, in {listing['seeding_s']:.2f} s; the first, untimed listing took "
        f"{listing['first_listing_s']:.2f} s)")
    out(f"  intercept / floor (k1 + k2)                {j / list_floor:6.3f}      {paired_list:6.3f}      "
        "(no target in issue 6)")
    out(f"  intercept above the floor              {(j - list_floor) * per_page:+9.1f} us/page;  a listing page "
        f"costs {j * per_page / f:.2f} x a page of 100 (f)")
    out("")


def store_section(out: Out, settings: Settings, scaling: Dict[tuple, Dict[str, Any]]) -> None:
    """Both backends, delete and describe-by-id, against the number stored."""
    out(f"store size: per call on a random stored snapshot, median of {settings.scaling_repeats} x "
        f"{settings.scaling_batch} calls per cell")
    out("  (us/call; x = vs 10 stored, same backend and operation)")
    out("                   MemoryBackend                          SqliteBackend")
    out("     stored        delete            describe-by-id       delete            describe-by-id")
    all_sizes = sorted({size for _, size in scaling})
    for stored in all_sizes:
        cells = []
        for backend in ("memory", "sqlite"):
            for op in OPS:
                row, base_row = scaling.get((backend, stored)), scaling.get((backend, 10))
                cells.append("        -         " if row is None else
                             f"{row[op]:8.1f} x{row[op] / base_row[op]:5.3f}  ")
        out(f"  {stored:>9,}    " + " ".join(cells).rstrip())
    for (backend, stored), row in sorted(scaling.items()):
        if stored == 10:
            continue
        how = ("fast path, backend.insert" if backend == "memory" else
               f"fast path: {SQLITE_INSERTED:,} by backend.insert at {row['insert_us']:.0f} us each, "
               f"{row['bulk']:,} by one executemany in one transaction")
        out(f"  seeded {backend} {stored:,} in {row['seeding_s']:.2f} s ({how})")
    sqlite_big = max(size for backend, size in scaling if backend == "sqlite")
    big = scaling[("sqlite", sqlite_big)]
    out(f"  SQLite file: {big['file_bytes'] / sqlite_big:,.0f} B per stored snapshot ({sqlite_big:,} stored, "
        f"after a WAL checkpoint; a record's JSON is {big['json_bytes']:,.0f} B). Memory per snapshot is "
        "MemoryBackend's only: below")
    out("")


def memory_section(out: Out, settings: Settings, memory: Dict[str, Dict[str, float]]) -> None:
    out(f"memory per stored snapshot (MemoryBackend, {settings.memory_count:,} snapshots, fresh process)")
    for key, label in (("add_snapshot", "rs.add_snapshot()"), ("fast", "fast path (shared values)")):
        row = memory[key]
        traced = f"   tracemalloc {row['tracemalloc']:6.0f} B" if "tracemalloc" in row else ""
        out(f"  {label:27} RSS delta {row['rss']:6.0f} B   sizeof walk {row['sizeof']:6.0f} B{traced}   "
            f"(seeding {row['seconds'] / settings.memory_count * 1e6:.1f} us/snapshot)")
    out("")


def startup_section(out: Out, settings: Settings, startup: Dict[str, Dict[str, float]]) -> None:
    cold, warm, base_run = startup["cold"], startup["after-boto3"], startup["baseline"]
    out(f"start-up (fresh interpreter, median of {settings.startup_runs}, ms)")
    out(f"  import redshift_intercept (boto3/botocore included)   {cold['import']:8.1f}")
    out(f"  import redshift_intercept (boto3 already imported)    {warm['import']:8.1f}")
    out(f"  intercept().start() + boto3.client('redshift')        {cold['client']:8.1f}")
    out(f"  first rs.add_snapshot()                               {cold['seed']:8.1f}")
    out(f"  first intercepted delete                              {cold['call']:8.1f}")
    first = cold["client"] + cold["seed"] + cold["call"]
    out(f"  first intercepted call incl. client and seeding       {first:8.1f}")
    out(f"  baseline without us: import boto3 {base_run['import']:.1f}, client {base_run['client']:.1f}, "
        f"Stubber set-up {base_run['seed']:.1f}, first stubbed call {base_run['call']:.1f}")
    out("")


def threads_section(out: Out, settings: Settings, threads: Dict[str, Any]) -> None:
    out(f"threads (one client per thread, {settings.thread_calls} deletes per thread; calls/s, "
        "4 threads against 1 and paired)")
    for kind, label in (("intercept", "intercept(), one MemoryBackend"), ("parsing", "c3, handlers that only parse")):
        rates = threads[kind]["rates"]
        out(f"  {label:32} 1 thread {rates[1]:7.0f}   4 threads {rates[4]:7.0f}   "
            f"x{rates[4] / rates[1]:.2f} (paired x{threads[kind]['paired']:.2f})")
    out("")


def targets_section(out: Out, scaling: Dict[tuple, Dict[str, Any]], memory: Dict[str, Dict[str, float]],
                    delete: Dict[str, Any], page: Dict[str, float]) -> None:
    """PASS / FAIL / n/a for every target."""
    a, floor, parsing, m = delete["a"], delete["floor"], delete["parsing"], delete["m"]
    f, page_floor = page["f"], page["floor"]
    mem_add = max(value for key, value in memory["add_snapshot"].items() if key != "seconds")
    paired_parsing = delete["paired_parsing"]
    out("targets (issue 6; the delete's floor as issue 11 decided it)")
    out(f"  {verdict(paired_parsing <= TARGET_DELETE_RATIO)}  intercepted delete <= {TARGET_DELETE_RATIO:.2f} "
        f"x floor (c3, the parse-only interceptor), paired: {paired_parsing:.3f} (of medians {a / parsing:.3f}; "
        f"information, vs Stubber + parse: {a / floor:.3f}, paired {delete['paired_floor']:.3f})")
    if m is not None:
        moto_ref = delete["moto_ref"]
        out(f"  {verdict(m / moto_ref >= TARGET_MOTO_SPEEDUP)}  >= {TARGET_MOTO_SPEEDUP:.0f} x faster than "
            f"moto: {m / moto_ref:.2f} (paired {delete['paired_moto']:.2f})")
    else:
        out("  n/a   >= 4 x faster than moto: moto not installed")
    out(f"  {verdict(f / page_floor <= TARGET_FLOOR_RATIO)}  describe page of 100 <= {TARGET_FLOOR_RATIO:.2f} x "
        f"its floor (g + h1): {f / page_floor:.3f} (paired {page['paired_floor']:.3f}; vs h3 {f / page['h3']:.3f})")
    for backend, name, target_size in (("memory", "MemoryBackend", 1_000_000), ("sqlite", "SqliteBackend", 100_000)):
        largest = max(size for kind, size in scaling if kind == backend)
        note = "" if largest >= target_size else " (quick run: not the target size)"
        for op, label in (("delete", "delete"), ("describe", "describe-by-id")):
            base_row, row = scaling[(backend, 10)], scaling[(backend, largest)]
            ratio = row[op] / base_row[op]
            both = paired(row["samples"][op], base_row["samples"][op])
            ok = ratio <= TARGET_SCALING_RATIO if largest >= target_size else None
            out(f"  {verdict(ok)}  {name} {label} at {target_size:,} stored <= {TARGET_SCALING_RATIO} x at 10: "
                f"x{ratio:.3f} (paired x{both:.3f}) at {largest:,}{note}")
    out(f"  {verdict(mem_add <= TARGET_BYTES_PER_SNAPSHOT)}  <= 2 KiB per stored snapshot (add_snapshot, "
        f"largest measurement): {mem_add:.0f} B")


def listing_moto_reason(page_moto: Optional[Dict[str, Any]], size: int) -> str:
    if page_moto is None:
        return "moto not installed"
    import moto

    seeding = f"seeding {size:,} through its API would take ~{page_moto['create_us'] * size / 1e6:.0f} s"
    if not page_moto["paginates"]:
        return (f"moto {moto.__version__} ignores MaxRecords and Marker: holding {PAGE + 1}, a page of {PAGE} "
                f"returned {page_moto['over_count']} and no Marker, so there is no paginated listing to compare; "
                f"{seeding}")
    return f"moto paginates now, but this benchmark does not list through it yet; {seeding}"
