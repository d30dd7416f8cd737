import random

from django.conf import settings


class ReplicaRouter:
    """Send reads to a random read replica and every write to the primary.

    Installed only when DATABASE_REPLICA_URLS names at least one replica. Replication lag
    means a read right after a write may not see it; pages that must (the admin) run on
    the primary because Django's admin reads through the same alias it writes with.
    """

    def replicas(self) -> list[str]:
        return [alias for alias in settings.DATABASES if alias != "default"]

    def db_for_read(self, model, **hints):
        replicas = self.replicas()
        return random.choice(replicas) if replicas else "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data, so relations between them are always allowed.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
