"""A store whose PostgreSQL connection is cut at any point raises Retryable, nothing else."""

import contextlib
import socket
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from pipeline.db import make_engine, session_factory, upgrade
from pipeline.errors import Retryable
from pipeline.models import ArticleRow
from pipeline.records import Article, Classification, DedupVerdict, StoredArticle
from pipeline.store import store_committed
from tests.chaos.harness import TcpProxy


class CuttingProxy(TcpProxy):
    """Forwards until the client's `cut_at`-th packet, then cuts everything (`after`: sent)."""

    def __init__(self, target: tuple[str, int], after: bool) -> None:
        super().__init__(target)
        self.after, self.sent, self.cut_at = after, 0, 0

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):  # a socket the cut closed already
            upstream = dst.getpeername()[1] == self.target[1]
            while data := src.recv(65536):
                if upstream and self._cuts_here():
                    if self.after:  # the server gets it (a COMMIT runs), its answer is lost
                        dst.sendall(data)
                    threading.Thread(target=self.stop).start()
                    return
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def _cuts_here(self) -> bool:
        with self._lock:
            self.sent += 1
            return self.sent == self.cut_at


def _record(item_id: str) -> StoredArticle:
    url = f"http://127.0.0.1/news/{item_id}"
    article = Article(item_id=item_id, url=url, canonical_url=url, title="Kremlin says",
                      text="The Kremlin said on Monday ...", word_count=6)  # fmt: skip
    verdict = DedupVerdict(story_id=f"s-{item_id}", duplicate_of=None, text_hash="h" * 64)
    return StoredArticle(article=article, dedup=verdict, classification=Classification(model="m"))


def _store_cut_at(database: str, cut_at: int, after: bool, pooled: bool) -> bool:
    """Store one article with the connection cut at the `cut_at`-th packet; True if it went in."""
    url = make_url(database)
    proxy = CuttingProxy((url.host or "127.0.0.1", url.port or 5432), after)
    proxy.start()
    engine = make_engine(url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    sessions = session_factory(engine)
    try:
        if pooled:  # a pooled connection: the cut may fall on its pre-ping
            with sessions() as session:
                session.execute(select(1))
        proxy.cut_at = proxy.sent + cut_at
        store_committed(_record(f"{int(after)}{int(pooled)}-{cut_at}"), sessions)
    except Retryable:  # anything else fails the test
        return False
    else:
        return True
    finally:
        proxy.stop()
        engine.dispose()


@pytest.mark.parametrize(("after", "pooled"), [(False, False), (True, False), (False, True),
                                               (True, True)])  # fmt: skip
def test_a_store_cut_at_every_packet_is_retryable(
    postgres_db: str, after: bool, pooled: bool
) -> None:
    upgrade(postgres_db)
    cut_at = 1
    while not _store_cut_at(postgres_db, cut_at, after, pooled):
        cut_at += 1
        assert cut_at < 100, "the store never got through"
    assert cut_at > 5  # connect, statements and COMMIT were all cut once
    engine = make_engine(postgres_db)
    with session_factory(engine)() as session:
        stored = session.scalar(select(func.count()).select_from(ArticleRow))
    engine.dispose()
    # Only a COMMIT that reached the server before its cut may have stored a row too.
    assert stored in ((1, 2) if after else (1,))
