"""A large, deterministic, clearly synthetic corpus for benchmarks and query-budget checks.

A benchmark tool, not part of the site, so it lives beside the benchmark:
``python -m tests.perf.build_corpus --scale 10000`` (with the site's usual environment, e.g.
DATABASE_URL), or ``call_command(Command(), scale=...)`` from a test.

Everything this command writes is named "Synthetic ..." with slugs and keys starting
"synthetic-", so no record can pass for a real fact and --reset removes exactly these rows.
Rows go in through bulk_create: no save() signals, so no history rows, and minutes rather
than hours at 100,000 therapies.
"""

import datetime
import itertools
import random
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from genetx.cache import bump_content_version
from genetx.counts import recount_all
from genetx.models import DatePrecision, Status
from hospitals.models import Institution, Programme
from sources.models import Author, Citation, Claim, Source
from therapies.models import Condition, Modality, RegulatoryDecision, Therapy

PREFIX = "synthetic-"
BATCH = 2000
MIN_SCALE, MAX_SCALE = 10, 100_000
# The first syllables make pronounceable nonsense words: a search vocabulary with a
# realistic (Zipf) spread of frequencies, and no real word a reader could take as a fact.
_SYLLABLES = "ka lo mi ren tsu vax dor pel qui zan bri fo gen hul ix jop".split()  # noqa: SIM905


def vocabulary(size: int = 2000) -> list[str]:
    """The synthetic word list, most frequent first; identical for every seed."""
    words = ["".join(parts) for parts in itertools.product(_SYLLABLES, repeat=3)]
    return words[:size]


VOCABULARY = vocabulary()
# Search terms for benchmarks: the most frequent word, and one of the rarest.
COMMON_TERM = VOCABULARY[0]
RARE_TERM = VOCABULARY[-1]


@dataclass(frozen=True)
class Sizes:
    """How many rows of each kind a scale (number of therapies) makes."""

    therapies: int

    @property
    def modalities(self):
        return max(3, self.therapies // 1000)

    @property
    def conditions(self):
        return max(5, self.therapies // 20)

    @property
    def institutions(self):
        return max(5, self.therapies // 5)

    @property
    def sources(self):
        return self.therapies * 3

    @property
    def claims(self):
        return self.therapies * 4

    @property
    def citations(self):
        return self.therapies * 10

    @property
    def programmes(self):
        return self.therapies * 2

    @property
    def decisions(self):
        return max(1, self.therapies // 10)


class Zipf:
    """Draw indexes 0..n-1 with probability proportional to 1 / (rank + 1) ** s.

    A few conditions carry many therapies and a few sources most citations, the rest form a
    long tail, as in real bibliographies.
    """

    def __init__(self, rng: random.Random, n: int, s: float = 1.1):
        self.rng = rng
        self.population = range(n)
        self.cum_weights = list(itertools.accumulate(1 / (rank + 1) ** s for rank in range(n)))

    def draw(self, k: int = 1) -> list[int]:
        return self.rng.choices(self.population, cum_weights=self.cum_weights, k=k)

    def distinct(self, k: int) -> list[int]:
        """k different indexes (fewer only if the population is smaller than k)."""
        chosen: dict[int, None] = {}
        k = min(k, len(self.population))
        while len(chosen) < k:
            chosen.update(dict.fromkeys(self.draw(k - len(chosen))))
        return list(chosen)


def synthetic_querysets():
    """Every synthetic row, children before parents, as the order a delete must follow."""
    return [
        Citation.objects.filter(claim__slug__startswith=PREFIX),
        Author.objects.filter(source__key__startswith=PREFIX),
        Claim.objects.filter(slug__startswith=PREFIX),
        RegulatoryDecision.objects.filter(therapy__slug__startswith=PREFIX),
        Programme.objects.filter(therapy__slug__startswith=PREFIX),
        Therapy.conditions.through.objects.filter(therapy__slug__startswith=PREFIX),
        Therapy.objects.filter(slug__startswith=PREFIX),
        Source.objects.filter(key__startswith=PREFIX),
        Institution.objects.filter(slug__startswith=PREFIX),
        Condition.objects.filter(slug__startswith=PREFIX, parent__isnull=False),
        Condition.objects.filter(slug__startswith=PREFIX),
        Modality.objects.filter(slug__startswith=PREFIX),
    ]


def marker(seed: int, scale: int) -> str:
    return f"Synthetic corpus: seed {seed}, scale {scale}."


class Command(BaseCommand):
    help = (
        "Fill the database with a deterministic synthetic corpus for benchmarks: by default "
        "10,000 therapies, 2,000 institutions, 30,000 sources and 100,000 citations. Every "
        "record is named 'Synthetic ...'. Running it again with the same seed and scale does "
        "nothing; a different seed or scale, or --reset, replaces the synthetic records."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=10_000,
            help=f"Number of therapies ({MIN_SCALE} to {MAX_SCALE}); the rest is proportional.",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--reset", action="store_true", help="Delete the synthetic records and rebuild."
        )
        parser.add_argument(
            "--delete", action="store_true", help="Only delete the synthetic records."
        )

    def handle(self, *args, scale, seed, reset, delete, **options):
        if not MIN_SCALE <= scale <= MAX_SCALE:
            raise CommandError(f"--scale must be between {MIN_SCALE} and {MAX_SCALE}.")
        existing = Modality.objects.filter(slug=f"{PREFIX}modality-1").first()
        if delete:
            with transaction.atomic():
                self._delete()
                recount_all()  # demo records the synthetic ones cited or linked
            bump_content_version()
            self.stdout.write("Deleted the synthetic corpus.")
            return
        if existing and existing.description == marker(seed, scale) and not reset:
            self._analyze()
            self.stdout.write(f"Synthetic corpus (seed {seed}, scale {scale}) already present.")
            return
        started = timezone.now()
        with transaction.atomic():
            self._delete()
            counts = Builder(seed=seed, sizes=Sizes(scale), out=self.stdout).build()
        self._analyze()
        # bulk_create sends no post_save signal, so the kept counts are made here: after the
        # statistics, without which PostgreSQL planned the recount as nested scans of every
        # citation (minutes at 10,000 therapies); then again for the rows it wrote.
        recount_all()
        self._analyze()
        # bulk_create sends no post_save signal, so tell the page cache explicitly.
        bump_content_version()
        seconds = (timezone.now() - started).total_seconds()
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Built in {seconds:.0f} s: {summary}."))

    def _analyze(self):
        """Refresh the planner's statistics: right after a bulk load PostgreSQL still
        believes the tables nearly empty and picks nested loops that take seconds. VACUUM
        too, as autovacuum would on a live database: it marks pages all-visible, which
        index-only scans need (a migration that rewrote rows leaves them unmarked)."""
        if connection.vendor != "postgresql":
            return
        tables = {qs.model._meta.db_table for qs in synthetic_querysets()}
        # VACUUM cannot run inside a transaction (a test's, or a caller's atomic block):
        # there, statistics are refreshed with ANALYZE alone.
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for table in sorted(tables):
                cursor.execute(f'{command} "{table}"')

    def _delete(self):
        # A raw delete: Django's collector would load every row and send a post_delete per
        # row (writing a history row each); these rows are ours alone and we know the order.
        for queryset in synthetic_querysets():
            queryset._raw_delete(queryset.db)


class Builder:
    def __init__(self, *, seed: int, sizes: Sizes, out):
        self.rng = random.Random(seed)
        self.seed = seed
        self.sizes = sizes
        self.out = out
        self.words = Zipf(self.rng, len(VOCABULARY))
        self.epoch = datetime.datetime(2015, 1, 1, tzinfo=datetime.UTC)

    def text(self, n_words: int) -> str:
        return " ".join(VOCABULARY[i] for i in self.words.draw(n_words))

    def moment(self) -> datetime.datetime:
        """A publication time between 2015 and 2025, deterministic for the seed."""
        return self.epoch + datetime.timedelta(minutes=self.rng.randrange(10 * 365 * 24 * 60))

    def published(self) -> dict:
        return {"status": Status.PUBLISHED, "published_at": self.moment()}

    def save(self, model, objects: list) -> list:
        created = model.objects.bulk_create(objects, batch_size=BATCH)
        self.out.write(f"  {len(created):>7,} {model._meta.verbose_name_plural}")
        return created

    def build(self) -> dict:
        sizes = self.sizes
        modalities = self.save(
            Modality,
            [
                Modality(
                    name=f"Synthetic modality {n}",
                    slug=f"{PREFIX}modality-{n}",
                    delivery=self.rng.choice(Modality.Delivery.values),
                    description=marker(self.seed, sizes.therapies) if n == 1 else "",
                )
                for n in range(1, sizes.modalities + 1)
            ],
        )
        conditions = self.conditions()
        institutions = self.institutions()
        sources = self.sources()
        therapies = self.therapies(modalities, conditions)
        programmes = self.programmes(institutions, therapies)
        decisions = self.decisions(institutions, therapies, sources)
        claims, citations = self.claims(therapies, conditions, institutions, sources)
        return {
            "modalities": len(modalities),
            "conditions": len(conditions),
            "institutions": len(institutions),
            "sources": len(sources),
            "therapies": len(therapies),
            "programmes": len(programmes),
            "decisions": len(decisions),
            "claims": len(claims),
            "citations": citations,
        }

    def conditions(self) -> list[Condition]:
        count = self.sizes.conditions
        n_parents = max(1, count // 25)

        def condition(n, parent=None):
            return Condition(
                name=f"Synthetic condition {n}",
                slug=f"{PREFIX}condition-{n}",
                category=self.rng.choice(Condition.Category.values),
                is_rare=self.rng.random() < 0.7,
                summary=self.text(12),
                parent=parent,
                **self.published(),
            )

        parents = self.save(Condition, [condition(n) for n in range(1, n_parents + 1)])
        children = [
            condition(n, self.rng.choice(parents) if self.rng.random() < 0.3 else None)
            for n in range(n_parents + 1, count + 1)
        ]
        return parents + self.save(Condition, children)

    def institutions(self) -> list[Institution]:
        kinds = Institution.Kind.values
        kind_weights = [50, 10, 15, 3, 2, 15, 5]
        countries = ["ES", "FR", "DE", "IT", "GB", "US", "NL", "PT", "SE", "CA"]
        return self.save(
            Institution,
            [
                Institution(
                    name=f"Synthetic institution {n}",
                    slug=f"{PREFIX}institution-{n}",
                    kind=self.rng.choices(kinds, weights=kind_weights)[0],
                    city=f"Synthetic city {self.rng.randrange(1, 200)}",
                    region=f"Synthetic region {self.rng.randrange(1, 30)}",
                    country=self.rng.choice(countries),
                    summary=self.text(15),
                    **self.published(),
                )
                for n in range(1, self.sizes.institutions + 1)
            ],
        )

    def sources(self) -> list[Source]:
        kinds = [k for k in Source.Kind.values if k != Source.Kind.ATTRIBUTION]
        kind_weights = [60, 15, 10, 5, 7, 2, 1]
        sources = []
        for n in range(1, self.sizes.sources + 1):
            kind = self.rng.choices(kinds, weights=kind_weights)[0]
            issued = datetime.date(2000, 1, 1) + datetime.timedelta(days=self.rng.randrange(9000))
            sources.append(
                Source(
                    key=f"{PREFIX}source-{n}",
                    kind=kind,
                    title=f"Synthetic source {n}: {self.text(8)}",
                    container_title=f"Synthetic Journal {self.rng.randrange(1, 300)}",
                    publisher=f"Synthetic Publisher {self.rng.randrange(1, 50)}",
                    issued=issued,
                    issued_precision=DatePrecision.DAY,
                    # 10.5555 is a DOI prefix reserved for tests; example.org is reserved too.
                    doi=f"10.5555/synthetic.{n}" if kind == "journal_article" else "",
                    url=f"https://example.org/synthetic/source-{n}",
                    language=self.rng.choices(["en", "es", "fr", "de"], weights=[80, 10, 5, 5])[0],
                    **self.published(),
                )
            )
        sources = self.save(Source, sources)
        authors = [
            Author(
                source=source,
                position=position,
                family=f"Synthetic-{self.rng.randrange(1, 5000)}",
                given=self.rng.choice("ABCDEFGHJKLMNPRST") + ".",
            )
            for source in sources
            for position in range(1, self.rng.randint(1, 5) + 1)
        ]
        self.save(Author, authors)
        return sources

    def therapies(self, modalities, conditions) -> list[Therapy]:
        developments = [v for v in Therapy.Development.values if v]
        therapies = self.save(
            Therapy,
            [
                Therapy(
                    name=f"Synthetic therapy {n}",
                    slug=f"{PREFIX}therapy-{n}",
                    kind=self.rng.choices(Therapy.Kind.values, weights=[10, 80, 10])[0],
                    code=f"SYN-{n:06d}",
                    modality=self.rng.choice(modalities),
                    summary=f"Synthetic therapy {n}: {self.text(25)}",
                    mechanism=self.text(20),
                    development_status=self.rng.choice(developments),
                    **self.published(),
                )
                for n in range(1, self.sizes.therapies + 1)
            ],
        )
        # Zipf over conditions: a handful of conditions carry most therapies.
        pick = Zipf(self.rng, len(conditions), s=1.2)
        through = Therapy.conditions.through
        links = [
            through(therapy_id=therapy.pk, condition_id=conditions[i].pk)
            for therapy in therapies
            for i in pick.distinct(self.rng.choice([1, 1, 1, 2, 2, 3]))
        ]
        through.objects.bulk_create(links, batch_size=BATCH)
        self.out.write(f"  {len(links):>7,} therapy-condition links")
        return therapies

    def programmes(self, institutions, therapies) -> list[Programme]:
        pick = Zipf(self.rng, len(institutions), s=0.9)
        roles = Programme.Role.values
        seen = set()
        programmes = []
        while len(programmes) < self.sizes.programmes:
            institution = institutions[pick.draw()[0]]
            therapy = self.rng.choice(therapies)
            role = self.rng.choice(roles)
            if (institution.pk, therapy.pk, role) in seen:
                continue
            seen.add((institution.pk, therapy.pk, role))
            programmes.append(
                Programme(
                    institution=institution,
                    therapy=therapy,
                    role=role,
                    since=self.rng.randrange(2000, 2026),
                    summary=self.text(10),
                    **self.published(),
                )
            )
        return self.save(Programme, programmes)

    def decisions(self, institutions, therapies, sources) -> list[RegulatoryDecision]:
        agencies = [i for i in institutions if i.kind in {"regulator", "ministry"}] or institutions
        chosen = self.rng.sample(therapies, self.sizes.decisions)
        return self.save(
            RegulatoryDecision,
            [
                RegulatoryDecision(
                    therapy=therapy,
                    agency=self.rng.choice(agencies),
                    kind=self.rng.choice(RegulatoryDecision.Kind.values),
                    date=datetime.date(2010, 1, 1)
                    + datetime.timedelta(days=self.rng.randrange(5500)),
                    indication=f"Synthetic indication: {self.text(6)}",
                    source=self.rng.choice(sources),
                )
                for therapy in chosen
            ],
        )

    def claims(self, therapies, conditions, institutions, sources):
        claims = []
        for n in range(1, self.sizes.claims + 1):
            about = self.rng.choices(["therapy", "condition", "institution"], [70, 10, 20])[0]
            target = {
                "therapy": therapies,
                "condition": conditions,
                "institution": institutions,
            }[about]
            flagged = self.rng.random() < 0.05
            figure = self.rng.random() < 0.2
            claims.append(
                Claim(
                    slug=f"{PREFIX}claim-{n}",
                    statement=f"Synthetic claim {n}: {self.text(18)}",
                    review_status=Claim.Review.NEEDS_REVIEW if flagged else Claim.Review.VERIFIED,
                    review_note="Synthetic review note." if flagged else "",
                    value=self.rng.randrange(0, 10000) / 100 if figure else None,
                    unit=Claim.Unit.PERCENT if figure else "",
                    **{about: self.rng.choice(target)},
                    **self.published(),
                )
            )
        claims = self.save(Claim, claims)
        # Citations: long-tail sources, every claim at least one, distinct per claim,
        # spread so the total matches the target.
        pick = Zipf(self.rng, len(sources), s=1.0)
        extra = self.sizes.citations - len(claims)
        per_claim = [1] * len(claims)
        for i in self.rng.choices(range(len(claims)), k=max(0, extra)):
            per_claim[i] += 1
        citations = [
            Citation(claim=claim, source=sources[i], position=position)
            for claim, k in zip(claims, per_claim, strict=True)
            for position, i in enumerate(pick.distinct(k), start=1)
        ]
        self.save(Citation, citations)
        return claims, len(citations)
