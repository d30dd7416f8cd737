"""The GeneTx benchmark: `make bench`, or `python -m tests.perf.bench --help`.

On a dedicated PostgreSQL database (created when missing) it migrates, builds or reuses the
synthetic corpus (python -m tests.perf.build_corpus), collects static files, then for each server
configuration starts the production WSGI server with two workers on a loopback port and
drives it with wrk: every page, plus a bare Django view as the baseline in the same run and
under the same server. In process, through the test client, it counts SQL queries per page
(uncached and on a cache hit) and times the admin changelists as a superuser.

Results go to reports/bench-<time>.json and .md (reports/ is not versioned). Everything
targets 127.0.0.1 and every loop is bounded in count and time.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REPORTS = ROOT / "reports"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/genetx_bench"
# Targets from the performance issue, as shares of the baseline measured in the same run.
TARGET_UNCACHED = 0.15
TARGET_CACHED = 0.70
TARGET_P99_MS = 50.0
TARGET_RSS_MB = 150.0
# A page slower than this for a single request is reported, not hammered (see measure_server).
SLOW_SECONDS = 2.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# Setup ---------------------------------------------------------------------------------------


def production_env(args, **extra) -> dict:
    """The environment of a production server, on loopback, with a throwaway key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.pop("REDIS_URL", None)
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=args.secret_key,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_LOG_LEVEL="WARNING",
        DATABASE_URL=args.database_url,
        GENETX_BENCH_BASELINE="1",
        DJANGO_SETTINGS_MODULE="genetx.settings",
        PYTHONPATH=str(ROOT),
    )
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def ensure_database(url: str) -> None:
    """Create the benchmark database when it does not exist yet."""
    import psycopg
    from psycopg import sql

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            log(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def manage(args, *command, env=None) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=ROOT,
        env=env or production_env(args),
        check=True,
        timeout=3600,
    )


def prepare(args) -> None:
    ensure_database(args.database_url)
    log("migrate")
    manage(args, "migrate", "--noinput", "-v0")
    log(f"corpus at scale {args.scale} (reused when already built)")
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.perf.build_corpus",
            "--scale",
            str(args.scale),
            "--seed",
            str(args.seed),
        ],
        cwd=ROOT,
        env=production_env(args),
        check=True,
        timeout=3600,
    )
    args.corpus_seconds = round(time.monotonic() - started, 1)
    log("collectstatic")
    manage(args, "collectstatic", "--noinput", "-v0")


# Pages -----------------------------------------------------------------------------------


def pages(scale: int) -> dict[str, str]:
    """The URLs measured, named. Records ranked mid-table, not the Zipf heads, so a detail
    page shows a typical amount of related rows; the heads are timed in process."""
    from tests.perf.corpus import COMMON_TERM, RARE_TERM, Sizes

    sizes = Sizes(scale)
    mid = min(100, sizes.conditions)
    return {
        "baseline": "/bench/baseline/",
        "home": "/",
        "therapy list": "/therapies/",
        "therapy list (2 facets)": (
            "/therapies/?modality=synthetic-modality-1&condition=synthetic-condition-2"
        ),
        "therapy detail": f"/therapies/synthetic-therapy-{min(100, scale)}/",
        "institution detail": f"/institutions/synthetic-institution-{mid}/",
        "source detail": f"/sources/synthetic-source-{min(100, sizes.sources)}/",
        "search (common term)": f"/search/?q={COMMON_TERM}",
        "search (rare term)": f"/search/?q={RARE_TERM}",
        "api therapy list": "/api/v1/therapies?limit=100",
        "api therapy detail": f"/api/v1/therapies/synthetic-therapy-{min(100, scale)}",
    }


# In-process measurements -------------------------------------------------------------------


def setup_django(args) -> None:
    """Django in this process, with the servers' settings, for the in-process measurements."""
    os.environ.update(production_env(args))
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def in_process(args, urls: dict[str, str]) -> dict:
    """SQL queries per page (uncached, cache hit) and admin changelist timings."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    results = {"queries": {}, "admin": {}}
    for name, url in urls.items():
        row = {}
        with override_settings(PAGE_CACHE_ENABLED=False):
            client = Client()
            client.get(url)  # the first request pays for imports and template loading
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            row.update(
                status=response.status_code,
                uncached=len(queries),
                uncached_ms=round(elapsed * 1000, 1),
            )
        with override_settings(PAGE_CACHE_ENABLED=True):
            cache.clear()
            client = Client()
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            row["cache_hit"] = len(queries)
        results["queries"][name] = row

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    from django.contrib import admin

    for model in admin.site._registry:
        opts = model._meta
        url = f"/{os.environ.get('DJANGO_ADMIN_URL', 'admin/').strip('/')}/"
        url += f"{opts.app_label}/{opts.model_name}/"
        if opts.app_label not in {"therapies", "hospitals", "sources"}:
            continue
        timings = []
        for _ in range(args.admin_repeats):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - started)
        results["admin"][f"{opts.app_label}.{opts.model_name}"] = {
            "status": response.status_code,
            "rows": model.objects.count(),
            "median_ms": round(statistics.median(timings) * 1000, 1),
            "queries": len(queries),
        }
    return results


# Servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command(kind: str, port: int, threads: int) -> list[str]:
    if kind == "granian":
        return [
            str(BIN / "granian"),
            "--interface",
            "wsgi",
            "--workers",
            "2",
            # Without a bound granian grows a WSGI worker's thread pool up to its backpressure
            # (backlog / workers = 512), and each thread keeps its own database connection:
            # 32 benchmark connections exhausted PostgreSQL's 100 slots.
            "--blocking-threads",
            str(threads),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "genetx.wsgi:application",
        ]
    return [
        str(BIN / "gunicorn"),
        "-w",
        "2",
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "genetx.wsgi:application",
    ]


def fetch(url: str, timeout: float = 30) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_up(base: str, process, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if fetch(base + "/healthz", timeout=2) == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("server did not answer /healthz in time")


def drain(url: str, seconds: float = 300) -> float:
    """Wait until the server has worked off requests wrk gave up on (the server still runs
    them), so they do not slow the next page's measurement. Returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        before = time.monotonic()
        with contextlib.suppress(OSError):
            fetch(url, timeout=seconds)
        if time.monotonic() - before < 0.05:
            break
        time.sleep(0.5)
    return round(time.monotonic() - started, 1)


def descendants(pid: int) -> list[int]:
    """Every process below pid, read from /proc (Linux)."""
    found = []
    queue = [pid]
    while queue:
        current = queue.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.append(child)
                    queue.append(child)
    return found


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return round(int(match.group(1)) / 1024, 1) if match else None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(output: str) -> dict:
    def latency(pct):
        match = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        return round(float(match.group(1)) * _UNITS[match.group(2)], 2) if match else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    total = re.search(r"(\d+) requests in", output)
    timeouts = re.search(r"timeout (\d+)", errors.group(1)) if errors else None
    return {
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "rps": round(float(rps.group(1)), 1) if rps else None,
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "requests": int(total.group(1)) if total else None,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def run_wrk(args, url: str) -> dict:
    command = [
        args.wrk,
        "-t1",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--timeout",
        "5s",
        "--latency",
        url,
    ]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=args.duration + 60
    ).stdout
    return parse_wrk(output)


def measure_server(args, config: dict, urls: dict[str, str]) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = production_env(args, **config.get("env", {}))
    if config.get("redis"):
        # A fresh content version, so no page cached by an earlier run is served.
        subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); "
             "from genetx.cache import bump_content_version; bump_content_version()"],
            cwd=ROOT, env=env, check=True, timeout=60,
        )  # fmt: skip
    log(f"{config['name']}: starting on {base}")
    REPORTS.mkdir(exist_ok=True)
    server_log = (REPORTS / "bench-server.log").open("a")
    process = subprocess.Popen(
        server_command(config["server"], port, args.granian_threads),
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=server_log,
        start_new_session=True,
    )
    rows = {}
    try:
        wait_until_up(base, process)
        for name, path in urls.items():
            # Warm every worker (and the cache, when on) before measuring, within a time
            # bound. A page slower than SLOW_SECONDS per request is not given to wrk: wrk
            # would reopen every timed-out connection and leave the server minutes of
            # abandoned requests to work off, spoiling every later measurement.
            statuses, single = set(), []
            deadline = time.monotonic() + 20
            for _ in range(args.warmup):
                before = time.monotonic()
                try:
                    statuses.add(fetch(base + path, timeout=60))
                except OSError:
                    statuses.add("timeout")
                single.append(time.monotonic() - before)
                if time.monotonic() > deadline:
                    break
            if statuses != {200}:
                rows[name] = {"status": sorted(map(str, statuses)), "skipped": "not 200"}
                log(f"  {name}: status {sorted(map(str, statuses))}, skipped")
                continue
            fastest = min(single)
            if fastest > SLOW_SECONDS:
                rows[name] = {
                    "status": [200],
                    "skipped": f"{fastest * 1000:.0f} ms for one request, one client",
                    "single_ms": round(fastest * 1000),
                }
                log(f"  {name}: {fastest:.1f} s per request alone, not given to wrk")
                continue
            rows[name] = run_wrk(args, base + path)
            log(f"  {name}: {rows[name]['rps']} req/s, p99 {rows[name]['p99_ms']} ms")
            rows[name]["drain_s"] = drain(base + urls.get("baseline", "/healthz"))
        workers = descendants(process.pid)
        rss = {
            "main": peak_rss_mb(process.pid),
            "workers": [peak_rss_mb(pid) for pid in workers],
        }
    finally:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=10)
        server_log.close()
    baseline = rows.get("baseline", {}).get("rps")
    for row in rows.values():
        if baseline and row.get("rps"):
            row["ratio"] = round(row["rps"] / baseline, 3)
    return {**config, "rows": rows, "peak_rss_mb": rss}


def configurations(args) -> list[dict]:
    redis = {"REDIS_URL": args.redis_url}
    uncached = {"GENETX_PAGE_CACHE": "0"}
    configs = []
    for server in args.servers:
        configs.append({"name": f"{server}, uncached", "server": server, "env": uncached})
        if args.redis_url:
            configs.append(
                {"name": f"{server}, Redis page cache", "server": server, "env": redis, "redis": 1}
            )
    if "granian" in args.servers and not args.skip_pool:
        configs.append(
            {
                "name": "granian, uncached, psycopg pool",
                "server": "granian",
                "env": {**uncached, "DATABASE_POOL": "1"},
            }
        )
    return configs


# Report ----------------------------------------------------------------------------------


def markdown(result: dict) -> str:
    lines = [
        f"# GeneTx benchmark, {result['started']}",
        "",
        f"Corpus scale {result['scale']:,} therapies (seed {result['seed']}); wrk "
        f"{result['duration']} s per URL, {result['connections']} connections, 1 thread; "
        f"servers with 2 workers on {result['cpus']} CPUs (granian with "
        f"{result['granian_threads']} blocking thread(s) per worker); PostgreSQL; "
        "production settings.",
        "Ratio = req/s of the page / req/s of the bare Django view, same server, same run.",
        "",
    ]
    queries = result.get("in_process", {}).get("queries", {})
    for config in result["servers"]:
        rss = config["peak_rss_mb"]
        lines += [
            f"## {config['name']}",
            "",
            f"Peak RSS: workers {rss['workers']} MB, main process {rss['main']} MB.",
            "",
            "| page | req/s | ratio | p50 ms | p99 ms | timeouts (5 s) | SQL uncached | SQL hit |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, row in config["rows"].items():
            q = queries.get(name, {})
            if "skipped" in row:
                lines.append(f"| {name} | skipped: {row['skipped']} | | | | | | |")
                continue
            lines.append(
                f"| {name} | {row['rps']:,.0f} | {row.get('ratio', '')} | {row['p50_ms']} | "
                f"{row['p99_ms']} | {row.get('timeouts', 0)} | {q.get('uncached', '')} | "
                f"{q.get('cache_hit', '')} |"
            )
        lines.append("")
    admin = result.get("in_process", {}).get("admin", {})
    if admin:
        lines += [
            f"## Admin changelists (in process, superuser, median of {result['admin_repeats']})",
            "",
            "| changelist | rows | status | median ms | SQL queries |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, row in admin.items():
            lines.append(
                f"| {name} | {row['rows']:,} | {row['status']} | {row['median_ms']} | "
                f"{row['queries']} |"
            )
        lines.append("")
    if queries:
        lines += [
            "## Pages in process (test client, the second request of each)",
            "",
            "| page | status | ms uncached | SQL uncached | SQL cache hit |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, row in queries.items():
            lines.append(
                f"| {name} | {row['status']} | {row['uncached_ms']} | {row['uncached']} | "
                f"{row['cache_hit']} |"
            )
        lines.append("")
    lines += ["## Targets", ""] + [f"- {line}" for line in result["verdicts"]] + [""]
    return "\n".join(lines)


def verdicts(result: dict) -> list[str]:
    """Each page against the targets of the performance issue."""
    out = []
    for config in result["servers"]:
        cached = "cache" in config["name"].lower() and "uncached" not in config["name"]
        floor = TARGET_CACHED if cached else TARGET_UNCACHED
        for name, row in config["rows"].items():
            if name == "baseline":
                continue
            if "skipped" in row:
                out.append(f"MISS {config['name']} / {name}: {row['skipped']}")
                continue
            misses = []
            if row.get("ratio") is not None and row["ratio"] < floor:
                misses.append(f"ratio {row['ratio']} < {floor}")
            if row.get("p99_ms") is not None and row["p99_ms"] >= TARGET_P99_MS:
                misses.append(f"p99 {row['p99_ms']} ms >= {TARGET_P99_MS}")
            if misses:
                out.append(f"MISS {config['name']} / {name}: {'; '.join(misses)}")
        for mb in config["peak_rss_mb"]["workers"]:
            if mb and mb >= TARGET_RSS_MB:
                out.append(f"MISS {config['name']}: worker peak RSS {mb} MB >= {TARGET_RSS_MB}")
    return out or ["every measured page met its targets"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("BENCH_SCALE", 10_000)))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_DURATION", 10)))
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=20, help="Requests per URL before wrk.")
    parser.add_argument("--admin-repeats", type=int, default=5)
    parser.add_argument(
        "--servers", default="granian,gunicorn", type=lambda v: [s for s in v.split(",") if s]
    )
    parser.add_argument(
        "--granian-threads", type=int, default=1, help="Blocking threads per granian worker."
    )
    parser.add_argument("--skip-pool", action="store_true", help="Skip the psycopg pool run.")
    parser.add_argument("--skip-prepare", action="store_true", help="Skip migrate/corpus/static.")
    parser.add_argument(
        "--only", default="", help="Page names to measure, comma-separated (default all)."
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="A PostgreSQL database of its own: the corpus is written into it.",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="Redis for the page-cache runs; empty to skip them.",
    )
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the benchmark runs on PostgreSQL: give a postgres:// URL")
    args.wrk = shutil.which("wrk")
    if not args.wrk:
        parser.error("wrk is not installed (apt-get install wrk)")
    if args.redis_url and not redis_answers(args.redis_url):
        log(f"no Redis at {args.redis_url}: skipping the page-cache runs")
        args.redis_url = ""
    args.secret_key = secrets.token_urlsafe(50)
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    if not args.skip_prepare:
        prepare(args)
    setup_django(args)
    urls = pages(args.scale)
    if args.only:
        wanted = {"baseline", *args.only.split(",")}
        urls = {name: url for name, url in urls.items() if name in wanted}
    log("in-process: SQL queries per page, admin changelists")
    result = {
        "started": started,
        "scale": args.scale,
        "seed": args.seed,
        "duration": args.duration,
        "connections": args.connections,
        "admin_repeats": args.admin_repeats,
        "granian_threads": args.granian_threads,
        "cpus": os.cpu_count(),
        "corpus_seconds": getattr(args, "corpus_seconds", None),
        "urls": urls,
        "in_process": in_process(args, urls),
        "servers": [],
    }
    for config in configurations(args):
        result["servers"].append(measure_server(args, config, urls))
    result["verdicts"] = verdicts(result)
    REPORTS.mkdir(exist_ok=True)
    stamp = started.replace(":", "").replace("-", "")
    (REPORTS / f"bench-{stamp}.json").write_text(json.dumps(result, indent=2))
    text = markdown(result)
    (REPORTS / f"bench-{stamp}.md").write_text(text)
    (REPORTS / "bench-latest.md").write_text(text)
    print(text)
    log(f"written reports/bench-{stamp}.md and .json")
    return 0


def redis_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    sys.exit(main())
