"""Beyond one machine, for real: two app nodes (gunicorn and `flask worker` each, in
network namespaces of their own) behind nginx, sharing one PostgreSQL and one Redis, while
customers vote and reply through the balancer and each node in turn is killed with
SIGKILL and started again. Nothing acknowledged is lost, no vote counts twice, both
search replicas converge, rate limits hold across the nodes, and a reply saved after
its sender stopped waiting is not saved again when they send it again.

Needs PostgreSQL (TEST_DATABASE_URL), Redis (MULTINODE_REDIS_URL, else
redis://127.0.0.1:6379/13) and nginx; skipped without them, unless MULTINODE_REQUIRED=1
(as in .ci/run's PostgreSQL leg), when a missing one fails.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from forum import create_app
from forum.accounts import services as accounts
from forum.companies import services as companies
from forum.extensions import db
from forum.search.store import IndexStore, IndexUnavailable
from ideas import services as idea_services
from tests.cluster.customers import Browser, Customer, Ledger
from tests.cluster.network import Node, Place, make_places, namespaces_possible, start_nginx
from tests.conftest import PASSWORD, PLUGINS, POSTGRES_URL, make_config

pytestmark = pytest.mark.slow

REQUIRED = os.environ.get("MULTINODE_REQUIRED") == "1"
REDIS_URL = os.environ.get("MULTINODE_REDIS_URL", "redis://127.0.0.1:6379/13")
SIGNIN_LIMIT = 8  # per minute, per address and per account, on both nodes together
CUSTOMERS = 6
SLUG = "acme"


def _missing() -> str:
    """Why the cluster cannot run here, or ""."""
    if not POSTGRES_URL:
        return "no PostgreSQL (set TEST_DATABASE_URL)"
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        return "no nginx (apt-get install nginx)"
    try:
        with redis.Redis.from_url(REDIS_URL, socket_timeout=2) as probe:
            probe.ping()
    except Exception as error:
        return f"no Redis at {REDIS_URL} ({error})"
    return ""


@dataclass
class Cluster:
    balancer: str
    nodes: list[Node]
    database_url: str
    threads: list[int]  # the ideas' thread ids
    usernames: list[str]


def _database(stack: ExitStack) -> str:
    """A database of the cluster's own on the test server, migrated, dropped at the end."""
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    name = f"{server.database}_cluster"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    stack.callback(admin.dispose)
    stack.callback(drop)
    url = server.set(database=name).render_as_string(hide_password=False)
    app = create_app(make_config(url), plugins=PLUGINS)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _seed(url: str) -> tuple[list[int], list[str]]:
    """A company with three ideas, and the customers (through the services)."""
    app = create_app(make_config(url), plugins=PLUGINS)
    with app.app_context():
        admin = accounts.register("admin", "admin@example.com", PASSWORD, site_admin=True,
                                  email_confirmed=True)
        company = companies.create_company(admin, name="Acme", slug=SLUG)
        proposer = accounts.register("proposer", "proposer@example.com", PASSWORD,
                                     email_confirmed=True)
        threads = [idea_services.propose_idea(
            proposer, company, title=f"Idea number {n} for the cluster",
            body=f"What idea {n} is about.").thread_id for n in range(3)]
        usernames = [f"customer{n}" for n in range(CUSTOMERS)]
        for username in usernames:
            accounts.register(username, f"{username}@example.com", PASSWORD,
                              email_confirmed=True)
        db.engine.dispose()
    return threads, usernames


def _node_env(url: str, place: Place) -> dict[str, str]:
    database = make_url(url).set(drivername="postgresql")
    database = database.set(host=place.reach(database.host or "127.0.0.1"))
    storage = urllib.parse.urlsplit(REDIS_URL)
    credentials = storage.netloc.rpartition("@")[0]
    redis_at = (f"{credentials}@" if credentials else "") + (
        f"{place.reach(storage.hostname or '127.0.0.1')}:{storage.port or 6379}")
    return {
        **os.environ,
        "DATABASE_URL": database.render_as_string(hide_password=False),
        "RATELIMIT_STORAGE_URI": urllib.parse.urlunsplit(storage._replace(netloc=redis_at)),
        # Pages kept for signed-out visitors are shared by both nodes' workers.
        "PAGE_CACHE_URL": urllib.parse.urlunsplit(storage._replace(netloc=redis_at)),
        "SECRET_KEY": "the-same-on-every-node",
        "PROXY_COUNT": "1",  # nginx
        "SIGNIN_RATE_LIMIT": f"{SIGNIN_LIMIT} per minute",
        "GUNICORN_WORKERS": "2",
        # The worker runs every reader of the event log: no threads in gunicorn.
        "SEARCH_INDEXER_THREAD": "0", "NOTIFIER_THREAD": "0", "MAIL_THREAD": "0",
        "SEARCH_POLL_INTERVAL": "0.2",
        # Customers here reply fast and often; the posting limits are not under test.
        "POST_MIN_INTERVAL_SECONDS": "0", "NEW_ACCOUNT_HOURS": "0",
        "POSTS_PER_DAY": "100000", "NEW_ACCOUNT_POSTS_PER_DAY": "100000",
    }


def _services(url: str) -> list[tuple[str, int]]:
    """PostgreSQL's and Redis's addresses on the host, which the nodes must reach."""
    database, storage = make_url(url), urllib.parse.urlsplit(REDIS_URL)
    return [(database.host or "127.0.0.1", database.port or 5432),
            (storage.hostname or "127.0.0.1", storage.port or 6379)]


@pytest.fixture
def cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Cluster]:
    if missing := _missing():
        if REQUIRED:
            pytest.fail(f"MULTINODE_REQUIRED=1 but {missing}")
        pytest.skip(f"two-node test skipped: {missing}")
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    with ExitStack() as stack:
        stack.callback(store.close)
        stack.callback(store.flushdb)
        url = _database(stack)
        threads, usernames = _seed(url)
        why_not = namespaces_possible()
        if why_not:
            with capsys.disabled():
                print(f"\nNetwork namespaces unavailable ({why_not}): the two nodes run "
                      "on loopback ports instead")
        places = make_places(stack, 2, use_namespaces=not why_not, services=_services(url))
        nodes = []
        for number, place in enumerate(places, start=1):
            node = Node(f"node{number}", place, tmp_path / f"node{number}",
                        _node_env(url, place))
            stack.callback(node.kill)
            node.launch()
            nodes.append(node)
        for node in nodes:
            node.wait_ready()
        nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin") or "nginx"
        balancer = start_nginx(stack, tmp_path / "nginx",
                               [f"{node.place.host}:{node.place.port}" for node in nodes], nginx)
        yield Cluster(balancer, nodes, url, threads, usernames)


def test_two_nodes_lose_nothing_while_each_is_killed(cluster: Cluster) -> None:
    ledger = Ledger()
    people = [Customer(cluster.balancer, name, PASSWORD, SLUG, cluster.threads, ledger, seed)
              for seed, name in enumerate(cluster.usernames)]
    for person in people:
        person.sign_in()
    stop, failures = threading.Event(), []

    def act(person: Customer) -> None:
        try:
            person.act_until(stop)
        except BaseException as error:
            failures.append(error)

    workers = [threading.Thread(target=act, args=(person,)) for person in people]
    for worker in workers:
        worker.start()
    try:
        time.sleep(3)
        for node in cluster.nodes:
            node.kill()  # kill -9 of gunicorn's master, its workers and the node's worker
            time.sleep(3)
            started = time.monotonic()
            node.start()
            # As an operator restarting nodes one by one would: the next goes down only
            # once the balancer sends this one customers again (after its fail_timeout).
            _wait_for_traffic(ledger, node)
            print(f"{node.name}: killed, started again and back in the balancer in "
                  f"{time.monotonic() - started:.1f}s")
            time.sleep(2)
    finally:
        stop.set()
        for worker in workers:
            worker.join(60)
    assert not failures, failures
    logs = "\n".join(node.logs() for node in cluster.nodes)
    finals = list(ledger.votes.values())
    print(f"Last acknowledged: {finals.count(True)} votes, {finals.count(False)} retractions "
          f"({finals.count(None)} unsure); acknowledged {len(ledger.replies)} replies; "
          f"no answer: {len(ledger.unanswered)}; refused: {len(ledger.refused)}; "
          f"answers per upstream: {ledger.served_by}")
    assert set(ledger.served_by) == {f"{node.place.host}:{node.place.port}"
                                     for node in cluster.nodes}, ledger.served_by
    assert len(ledger.votes) > 5 and len(ledger.replies) > 10, (ledger, logs)
    assert {True, False} <= set(ledger.votes.values()), ledger.votes  # votes and retractions

    engine = create_engine(cluster.database_url)
    try:
        _check_database(engine, ledger)
        _check_kept_pages(engine, cluster)
        _check_indexes(engine, cluster, ledger)
    finally:
        engine.dispose()
    _check_rate_limits(cluster)
    _check_a_reply_sent_again_is_not_posted_twice(cluster)


def _wait_for_traffic(ledger: Ledger, node: Node, timeout: float = 30) -> None:
    address = f"{node.place.host}:{node.place.port}"
    before = ledger.served_by.get(address, 0)
    deadline = time.monotonic() + timeout
    while ledger.served_by.get(address, 0) < before + 5:
        assert time.monotonic() < deadline, f"nginx sends nothing to {node.name}"
        time.sleep(0.1)


def _check_database(engine: object, ledger: Ledger) -> None:
    """Every acknowledged write is saved, once; each idea counts each vote once."""
    with engine.connect() as connection:  # type: ignore[attr-defined]
        votes = set(connection.execute(text(
            "SELECT u.username, i.thread_id FROM votes v JOIN users u ON u.id = v.user_id "
            "JOIN ideas i ON i.id = v.idea_id")).all())
        counts = connection.execute(text(
            "SELECT i.thread_id, i.vote_count, "
            "(SELECT count(*) FROM votes v WHERE v.idea_id = i.id) FROM ideas i")).all()
        replies = connection.execute(text(
            "SELECT u.username, p.thread_id, p.body_source FROM posts p "
            "JOIN users u ON u.id = p.author_id WHERE p.body_source LIKE '%marmalade%'")).all()
    for key, voted in ledger.votes.items():
        if voted is not None:
            assert (key in votes) == voted, (key, "voted" if voted else "retracted")
    for thread_id, stored, rows in counts:
        assert stored == rows, f"idea {thread_id} says {stored} votes, has {rows}"
    saved = [tuple(row) for row in replies]
    assert len(saved) == len(set(saved)), "a reply was saved twice"
    assert set(ledger.replies) <= set(saved), set(ledger.replies) - set(saved)
    # Only what no answer came back for may be saved without being acknowledged.
    unacknowledged = set(saved) - set(ledger.replies)
    assert len(unacknowledged) <= len(ledger.unanswered), (unacknowledged, ledger.unanswered)
    # Sending again what got no answer is refused only as the duplicate it is.
    for kind, status, body in ledger.refused:
        assert kind == "reply" and status == 429 and "You posted exactly this" in body, (
            kind, status, body[:500])


def _check_kept_pages(engine: object, cluster: Cluster) -> None:
    """A page one node rendered for signed-out visitors is served by the other from Redis,
    and shows the votes the database holds now that the writes have stopped."""
    with engine.connect() as connection:  # type: ignore[attr-defined]
        counts = sorted(connection.scalars(text("SELECT vote_count FROM ideas")))
    answers = []
    for node in cluster.nodes:  # at an address no customer asked for: kept by neither
        # Straight to each node, as nginx sends it (the page's address is the balancer's).
        request = urllib.request.Request(  # noqa: S310 (http://)
            f"{node.place.url}/c/{SLUG}/ideas?from=check",
            headers={"Host": urllib.parse.urlsplit(cluster.balancer).netloc})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answers.append((response.headers["X-Page-Cache"], response.read().decode()))
    (_, rendered), (outcome, shared) = answers
    assert outcome == "hit" and shared == rendered, outcome
    shown = sorted(int(n) for n in re.findall(r'<span class="vote-count">(\d+)</span>', shared))
    assert shown == counts, (shown, counts)


def _index_keys(directory: Path) -> set[str]:
    try:
        opened = IndexStore(str(directory)).open_current()
    except IndexUnavailable:
        return set()
    with opened.index.searcher() as searcher:
        return {fields["key"] for fields in searcher.all_stored_fields()
                if fields["key"][:2] in ("t:", "p:")}


def _check_indexes(engine: object, cluster: Cluster, ledger: Ledger) -> None:
    """Each node's own index follows the log to the same documents, every reply in them."""
    with engine.connect() as connection:  # type: ignore[attr-defined]
        posts = {f"p:{post_id}" for (post_id,) in connection.execute(text(
            "SELECT id FROM posts WHERE body_source LIKE '%marmalade%'"))}
    deadline = time.monotonic() + 60
    while True:
        keys = [_index_keys(node.index_dir) for node in cluster.nodes]
        if keys[0] == keys[1] and posts <= keys[0]:
            break
        assert time.monotonic() < deadline, (
            f"indexes differ: {len(keys[0] ^ keys[1])} documents, missing "
            f"{[len(posts - node_keys) for node_keys in keys]} replies")
        time.sleep(0.5)
    # And each node answers searches from its own replica.
    _username, _thread, body = ledger.replies[-1]
    word = body.rsplit(" ", 1)[-1]
    for node in cluster.nodes:
        answer = Browser(node.place.url).get(f"/search?q={word}")
        assert answer.status == 200 and word in answer.body, (node.name, answer.status)


def _check_rate_limits(cluster: Cluster) -> None:
    """Sign-in attempts spread over both nodes are limited as one: per account and per
    address (the client's, from X-Forwarded-For: each node sees nginx at another one)."""
    for limit, logins in (("per account", ["customer0"] * 2 * SIGNIN_LIMIT),
                          ("per address", [f"nobody{n}" for n in range(2 * SIGNIN_LIMIT)])):
        with redis.Redis.from_url(REDIS_URL) as limits:
            limits.flushdb()
        browser = Browser(cluster.balancer)
        token = browser.token("/signin")
        answers = [browser.post("/signin", {"login": login, "password": "wrong password",
                                            "csrf_token": token}) for login in logins]
        statuses = [answer.status for answer in answers]
        assert statuses.count(429) == SIGNIN_LIMIT, (limit, statuses)
        assert 429 not in statuses[:SIGNIN_LIMIT], (limit, statuses)
        nodes = {answer.upstream for answer in answers[:SIGNIN_LIMIT]}
        assert len(nodes) == 2, (limit, nodes)  # the attempts that counted reached both


def _check_a_reply_sent_again_is_not_posted_twice(cluster: Cluster) -> None:
    """A reply saved after its sender gave up waiting (here: the posts table locked, then
    freed), sent again as a person would: refused as a duplicate, saved once."""
    with redis.Redis.from_url(REDIS_URL) as limits:
        limits.flushdb()  # the sign-in attempts above
    person = Customer(cluster.balancer, "customer1", PASSWORD, SLUG, cluster.threads,
                      Ledger(), 0)
    person.sign_in()
    token = person.browser.token("/home")
    body = "Sent once, saved once: marmalade lateanswer"
    path = f"/c/{SLUG}/t/{cluster.threads[0]}/reply"
    engine = create_engine(cluster.database_url)
    saved = text("SELECT count(*) FROM posts WHERE body_source = :body")
    try:
        with engine.connect() as blocker:
            blocker.execute(text("LOCK TABLE posts IN SHARE ROW EXCLUSIVE MODE"))
            first = person.browser.post(path, {"body": body, "csrf_token": token}, timeout=2)
            assert first.status == 0  # no answer in time: the person does not know
            blocker.rollback()  # the node's transaction goes on, and commits
        deadline = time.monotonic() + 30
        with engine.connect() as connection:
            while connection.scalar(saved, {"body": body}) == 0:
                assert time.monotonic() < deadline, "the first reply was never saved"
                time.sleep(0.2)
                connection.rollback()
        again = person.browser.post(path, {"body": body, "csrf_token": token})
        assert again.status == 429 and "You posted exactly this" in again.body, again
        with engine.connect() as connection:
            assert connection.scalar(saved, {"body": body}) == 1
    finally:
        engine.dispose()
