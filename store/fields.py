"""Column types of our own."""
from peewee import SQL, AutoField, NodeList, SqliteDatabase


class NeverReusedId(AutoField):
    """A primary key that is never handed out twice, since global IDs are made from it
    and a deleted object's ID must not come to name a newer one. PostgreSQL sequences
    never go back; SQLite needs AUTOINCREMENT, or it reuses the highest deleted rowid."""

    def ddl(self, ctx):
        column = super().ddl(ctx)
        database = self.model._meta.database
        if isinstance(getattr(database, "obj", database), SqliteDatabase):
            return NodeList((column, SQL("AUTOINCREMENT")))
        return column
