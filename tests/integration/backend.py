"""The database under the end-to-end tests: SQLite or PostgreSQL (Python 3 standard library only;
mc.py re-exports every name here).

MOTCHAM_TEST_BACKEND chooses what new_db() makes: "sqlite" (the default) a path for a new file,
"postgresql" a fresh database of its own on the cluster whose URL is MOTCHAM_TEST_PG_URL (as
tests/pg/cluster prints it; the user must be a superuser). Every other helper takes what was
passed to --db and follows its form, as motcham does: a postgresql:// or postgres:// URL or a
libpq key=value string is PostgreSQL, run with psql; anything else a SQLite file, run with the
sqlite3 CLI. Query output has sqlite3's shape on both: one row a line, columns joined by '|',
NULL as nothing, the whole stripped.
"""

import atexit
import os
import re
import secrets
import socket
import subprocess
import urllib.parse

BACKEND = os.environ.get("MOTCHAM_TEST_BACKEND") or "sqlite"
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError("MOTCHAM_TEST_BACKEND must be sqlite or postgresql, not %r" % BACKEND)
PG_URL = os.environ.get("MOTCHAM_TEST_PG_URL", "")

# PostgreSQL 15's own psql when it is there: Debian's /usr/bin/psql is a Perl wrapper that
# costs a start-up on every call.
_PSQL15 = "/usr/lib/postgresql/15/bin/psql"
PSQL = [os.environ.get("MOTCHAM_TEST_PSQL") or (_PSQL15 if os.access(_PSQL15, os.X_OK) else "psql"),
        "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
# The schema amcheck goes into, in every database new_db makes; no helper counts it as the
# application's.
CHECK_SCHEMA = "mc_check"
USER_NS = ("n.nspname NOT IN ('pg_catalog', 'information_schema', '%s') "
           "AND n.nspname NOT LIKE 'pg\\_%%'" % CHECK_SCHEMA)
_KEYWORD_RE = re.compile(r"^\s*[A-Za-z_]+\s*=")


def is_pg(db):
    """True when db (what is passed to --db) names a PostgreSQL database."""
    db = str(db)
    return db.startswith(("postgresql://", "postgres://")) or bool(_KEYWORD_RE.match(db))


# --- running SQL -------------------------------------------------------------------------------

def _psql(db, script, timeout):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10", PGCLIENTENCODING="UTF8",
               PGOPTIONS="-c client_min_messages=warning")
    return subprocess.run(PSQL + ["-d", db, "-f", "-"], input=script.encode("utf-8"),
                          capture_output=True, timeout=timeout, env=env)


def _sqlite3(db, script, timeout):
    return subprocess.run(["sqlite3", "-batch", db, script], capture_output=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def _run(db, query, pg, timeout):
    if is_pg(db):
        return _psql(db, pg if pg is not None else query, timeout)
    if not query:
        raise AssertionError("a PostgreSQL-only query for the SQLite database %s" % db)
    return _sqlite3(db, query, timeout)


def try_sql(db, query, pg=None, timeout=30):
    """Runs query like sql() and returns (ok, stdout, stderr) instead of raising: for a
    statement that must fail."""
    proc = _run(db, query, pg, timeout)
    return (proc.returncode == 0, proc.stdout.decode("utf-8", "replace").strip(),
            proc.stderr.decode("utf-8", "replace").strip())


def sql(db, query, pg=None, timeout=30):
    """Runs query on db (on PostgreSQL pg instead, when given: the same question in its words)
    with the sqlite3 CLI or psql and returns what it printed, stripped. Raises AssertionError
    when it fails. Statements run one after the other, each in its own transaction."""
    proc = _run(db, query, pg, timeout)
    if proc.returncode != 0:
        text = pg if is_pg(db) and pg is not None else query
        raise AssertionError("%s %r failed: %s" % ("psql" if is_pg(db) else "sqlite3",
                                                   text if len(text) < 600 else text[:600] + "...",
                                                   proc.stderr.decode(errors="replace")))
    return proc.stdout.decode("utf-8").strip()


def _qualified(db):
    """[(name, schema-qualified quoted name)] of the application's tables, in byte order."""
    out = sql(db, "", pg="SELECT c.relname, format('%%I.%%I', n.nspname, c.relname) "
                         "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                         "WHERE c.relkind IN ('r', 'p') AND %s "
                         "ORDER BY c.relname::text COLLATE \"C\";" % USER_NS)
    return [tuple(line.split("|", 1)) for line in out.splitlines() if line]


def db_tables(db):
    """The names of the application's tables, in byte order."""
    if is_pg(db):
        return [name for name, _ in _qualified(db)]
    out = sql(db, "SELECT name FROM sqlite_master WHERE type='table' "
                  "AND name NOT LIKE 'sqlite_%' ORDER BY name;")
    return [t for t in out.splitlines() if t]


def db_counts(db):
    """Row count of every table: a schema-agnostic picture of what a command wrote."""
    if is_pg(db):
        names = _qualified(db)
        script = "".join("SELECT %s, count(*) FROM %s;\n" % (_literal(n), q) for n, q in names)
    else:
        names = [(t, '"%s"' % t.replace('"', '""')) for t in db_tables(db)]
        script = "".join("SELECT %s, count(*) FROM %s;" % (_literal(n), q) for n, q in names)
    if not names:
        return {}
    rows = (line.rsplit("|", 1) for line in sql(db, script, pg=script).splitlines() if line)
    return {name: int(n) for name, n in rows}


def db_dump(db):
    """Every table's schema and rows, as bytes, for "nothing changed" and "never stored"
    checks. SQLite: `sqlite3 .dump`. PostgreSQL: schema_sql() and then every row of every
    table as its row literal (all values as text), tables and rows in byte order; sequence
    positions are left out, as nextval() is not undone by a rollback (SQLite's rowids are)."""
    if not is_pg(db):
        proc = subprocess.run(["sqlite3", "-batch", db, ".dump"], capture_output=True,
                              timeout=60, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise AssertionError("sqlite3 .dump failed: %s" % proc.stderr.decode(errors="replace"))
        return proc.stdout
    script = "".join("SELECT %s || ' ' || t::text FROM %s t ORDER BY t::text COLLATE \"C\";\n"
                     % (_literal(n), q) for n, q in _qualified(db))
    rows = sql(db, "", pg=script, timeout=60) if script else ""
    return (schema_sql(db) + "\n--\n" + rows).encode("utf-8")


def integrity_check(db):
    """"ok" when the database is whole, else what is wrong. SQLite: PRAGMA integrity_check.
    PostgreSQL: amcheck on every relation of the database, catalogs too: verify_heapam (with
    TOAST) on every table and bt_index_check (with heapallindexed) on every B-tree index."""
    if not is_pg(db):
        return sql(db, "PRAGMA integrity_check;")
    script = ("SET default_transaction_read_only = off;\n"
              "CREATE SCHEMA IF NOT EXISTS {s};\n"
              "CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA {s};\n"
              "SELECT CASE WHEN count(*) = 0 THEN 'ok' ELSE string_agg(m, E'\\n') END FROM (\n"
              " SELECT c.oid::regclass || ' block ' || v.blkno || ': ' || v.msg AS m\n"
              " FROM pg_class c, LATERAL {s}.verify_heapam(c.oid, check_toast => true) v\n"
              " WHERE c.relkind IN ('r', 'm', 't') AND c.relpersistence <> 't'\n"
              " UNION ALL\n"
              " SELECT NULL FROM (SELECT {s}.bt_index_check(c.oid, true)::text AS x\n"
              "  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid\n"
              "  JOIN pg_am a ON a.oid = c.relam\n"
              "  WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready\n"
              "  AND c.relpersistence <> 't') b WHERE x IS NULL) q;\n").format(s=CHECK_SCHEMA)
    ok, out, err = try_sql(db, "", pg=script, timeout=120)
    return out if ok else err


def schema_sql(db):
    """The whole schema as text, one object a line (type|name|definition, in byte order).
    SQLite: sqlite_master. PostgreSQL: every relation (kind, persistence, row security),
    column (type, NOT NULL, default, identity), constraint, index, trigger (with whether it is
    enabled), rule, policy, view and function of the application's schemas."""
    if not is_pg(db):
        return sql(db, "SELECT type, name, sql FROM sqlite_master ORDER BY type, name;")
    ns = USER_NS
    q = """
SELECT kind, name, def FROM (
 SELECT 'relation' AS kind, format('%%I.%%I', n.nspname, c.relname) AS name,
  format('%%s %%s %%s', c.relkind, c.relpersistence, c.relrowsecurity) AS def
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {ns}
 UNION ALL
 SELECT 'column', format('%%I.%%I.%%I', n.nspname, c.relname, a.attname),
  format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
  || coalesce(' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid), '')
  || format(' IDENTITY %%s GENERATED %%s #%%s', a.attidentity, a.attgenerated, a.attnum)
 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 JOIN pg_namespace n ON n.oid = c.relnamespace
 LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND {ns}
 UNION ALL
 SELECT 'constraint', format('%%I.%%I.%%I', n.nspname, c.relname, k.conname),
  pg_get_constraintdef(k.oid)
 FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {ns}
 UNION ALL
 SELECT 'index', format('%%I.%%I', n.nspname, c.relname), pg_get_indexdef(c.oid)
 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('i', 'I') AND {ns}
 UNION ALL
 SELECT 'trigger', format('%%I.%%I.%%I', n.nspname, c.relname, t.tgname),
  format('%%s ENABLED %%s', pg_get_triggerdef(t.oid), t.tgenabled)
 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND {ns}
 UNION ALL
 SELECT 'rule', format('%%I.%%I.%%I', schemaname, tablename, rulename), definition
 FROM pg_rules r JOIN pg_namespace n ON n.nspname = r.schemaname WHERE {ns}
 UNION ALL
 SELECT 'policy', format('%%I.%%I.%%I', schemaname, tablename, policyname),
  cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
 FROM pg_policies p JOIN pg_namespace n ON n.nspname = p.schemaname WHERE {ns}
 UNION ALL
 SELECT 'view', format('%%I.%%I', schemaname, viewname), definition
 FROM pg_views v JOIN pg_namespace n ON n.nspname = v.schemaname WHERE {ns}
 UNION ALL
 SELECT 'function', p.oid::regprocedure::text, pg_get_functiondef(p.oid)
 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.prokind IN ('f', 'p') AND {ns}
) s ORDER BY kind COLLATE "C", name COLLATE "C";
""".format(ns=ns).replace("%%", "%")
    return sql(db, "", pg=q)


def _literal(text):
    return "'%s'" % str(text).replace("'", "''")


# --- databases ---------------------------------------------------------------------------------

# What this process made on the cluster (databases, with their roles and tablespaces), by URL:
# dropped when their TempDir is cleaned up, else when the process ends.
_made = {}


def _admin(script, timeout=60):
    """Runs script on the cluster's own database (MOTCHAM_TEST_PG_URL)."""
    if not PG_URL:
        raise AssertionError("MOTCHAM_TEST_BACKEND=postgresql needs MOTCHAM_TEST_PG_URL, the URL "
                             "of a running cluster: run the tests with tests/pg/cluster run ..."
                             " or scripts/test")
    return sql(PG_URL, "", pg=script, timeout=timeout)


def _url(dbname, user=None, password=None):
    """MOTCHAM_TEST_PG_URL with another database (and user)."""
    u = urllib.parse.urlsplit(PG_URL)
    if u.scheme not in ("postgresql", "postgres"):
        raise AssertionError("MOTCHAM_TEST_PG_URL must be a postgresql:// URL: %r" % PG_URL)
    netloc = u.netloc
    if user is not None:
        netloc = "%s:%s@%s" % (urllib.parse.quote(user, safe=""),
                               urllib.parse.quote(password, safe=""), netloc.rpartition("@")[2])
    return urllib.parse.urlunsplit(u._replace(netloc=netloc, path="/" + dbname))


def _dbname(db):
    return urllib.parse.unquote(urllib.parse.urlsplit(db).path.lstrip("/"))


def new_db(tmp, *parts):
    """What to pass to --db for a new database of its own, empty. SQLite: the path
    tmp.join(*parts), not made yet. PostgreSQL: a database made now with a random name after
    parts[-1] (UTF8, C collation and ctype: text sorts and compares byte by byte, as in SQLite),
    on the cluster of MOTCHAM_TEST_PG_URL, dropped by tmp.cleanup() (or at exit)."""
    if BACKEND == "sqlite":
        return tmp.join(*parts)
    stem = re.sub(r"[^a-z0-9]+", "_", os.path.splitext(parts[-1])[0].lower()).strip("_")
    name = "mc_%s_%s" % (stem[:24] or "db", secrets.token_hex(5))
    # FILE_COPY: with wal_level minimal (tests/pg/cluster) it writes no WAL for the copy.
    _admin('CREATE DATABASE "%s" TEMPLATE template0 STRATEGY FILE_COPY ENCODING \'UTF8\' '
           'LC_COLLATE \'C\' LC_CTYPE \'C\';' % name)
    url = _url(name)
    _made[url] = {"roles": [], "tablespaces": []}
    tmp.on_cleanup(lambda: drop_db(url))
    sql(url, "", pg="CREATE SCHEMA %s; CREATE EXTENSION amcheck SCHEMA %s;"
                    % (CHECK_SCHEMA, CHECK_SCHEMA))
    return url


def drop_db(db):
    """Drops a database new_db made (its connections closed first), the roles made for it,
    and the tablespaces it was moved to. Nothing to do for SQLite, or when already dropped."""
    made = _made.pop(db, None)
    if made is None:
        return
    script = 'DROP DATABASE IF EXISTS "%s" WITH (FORCE);\n' % _dbname(db)
    script += "".join('DROP ROLE IF EXISTS "%s";\n' % r for r in made["roles"])
    script += "".join('DROP TABLESPACE IF EXISTS "%s";\n' % t for t in made["tablespaces"])
    _admin(script)


@atexit.register
def _drop_leftovers():
    for db in list(_made):
        try:
            drop_db(db)
        except (AssertionError, OSError, subprocess.SubprocessError):
            pass


def db_touched(db):
    """Whether motcham has made anything of db: SQLite, the file exists; PostgreSQL (whose
    database new_db made, empty), it holds a table."""
    return bool(db_tables(db)) if is_pg(db) else os.path.exists(db)


def unusable_db(tmp):
    """A --db that cannot hold a database. SQLite: a path in a directory that does not exist;
    PostgreSQL: a URL whose port nothing listens on (connection refused)."""
    if BACKEND == "sqlite":
        return tmp.join("no", "such", "dir", "m.db")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    u = urllib.parse.urlsplit(_url("mc_nowhere"))
    return urllib.parse.urlunsplit(u._replace(netloc="%s@127.0.0.1:%d" % (
        u.netloc.rpartition("@")[0], port)))


# --- where SQLite and PostgreSQL keep things differently --------------------------------------

def schema_version(db):
    """The schema version the database says it has (SQLite: PRAGMA user_version; PostgreSQL:
    the one row of the table schema_version)."""
    if is_pg(db):
        return int(sql(db, "", pg="SELECT version FROM schema_version;"))
    return int(sql(db, "PRAGMA user_version;"))


def files_dir(db):
    """The directory where `motcham serve --db db` keeps uploaded files (SQLite: DB.files);
    None for PostgreSQL, which keeps their content in the database (table blob), where every
    node reaches it."""
    if is_pg(db):
        return None
    return db + ".files"


def stored_files(db):
    """The SHA-256 names of the uploaded files' content motcham keeps for db, sorted."""
    if is_pg(db):
        return [h for h in sql(db, "", pg="SELECT sha256 FROM blob ORDER BY sha256 "
                                         "COLLATE \"C\";").splitlines() if h]
    d = files_dir(db)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def stored_file(db, sha):
    """The content motcham keeps under the SHA-256 sha for db (bytes); raises when none."""
    if is_pg(db):
        if not re.fullmatch(r"[0-9a-f]{64}", sha):
            raise AssertionError("not a SHA-256: %r" % sha)
        out = sql(db, "", pg="SELECT encode(data, 'hex') FROM blob WHERE sha256 = '%s';" % sha)
        if not out:
            raise AssertionError("no content stored under %s" % sha)
        return bytes.fromhex(out)
    with open(os.path.join(files_dir(db), sha), "rb") as f:
        return f.read()


def unlock_audit_sql(db):
    """SQL that lifts the audit table's append-only guard, as a dishonest operator with the
    database's own tools would. SQLite: drop its three triggers (no update, no delete, an insert
    only as the next entry). PostgreSQL, as a superuser: turn off every user trigger on the
    table."""
    if is_pg(db):
        return "ALTER TABLE audit DISABLE TRIGGER USER;"
    return ("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete; "
            "DROP TRIGGER IF EXISTS audit_only_next;")


# --- PostgreSQL's own faults (test_faults: what a read-only file or a full disk is there) ------

def pg_read_only(db, on):
    """Sets (or resets) default_transaction_read_only for the database: sessions opened from
    now on cannot write; those already open keep writing."""
    sql(db, "", pg='SET default_transaction_read_only = off; ALTER DATABASE "%s" %s;' % (
        _dbname(db), "SET default_transaction_read_only = on" if on
        else "RESET default_transaction_read_only"))


def pg_read_only_role(db):
    """The URL of db for a new role that may read every table and write none (dropped with
    db)."""
    name = "mc_ro_%s" % secrets.token_hex(5)
    password = secrets.token_hex(16)
    _made[db]["roles"].append(name)
    _admin("CREATE ROLE \"%s\" LOGIN PASSWORD '%s';" % (name, password))
    schemas = sql(db, "", pg="SELECT format('%%I', n.nspname) FROM pg_namespace n WHERE %s;"
                             % USER_NS).split()
    sql(db, "", pg='GRANT CONNECT ON DATABASE "%s" TO "%s";\n' % (_dbname(db), name) +
        "".join('GRANT USAGE ON SCHEMA %s TO "%s";\nGRANT SELECT ON ALL TABLES IN SCHEMA %s '
                'TO "%s";\n' % (s, name, s, name) for s in schemas))
    return _url(_dbname(db), name, password)


def pg_database_size(db):
    """Bytes the database takes on disk (grows as a transaction writes, before it commits)."""
    return int(sql(db, "", pg="SELECT pg_database_size(current_database());"))


def pg_server_owner(db):
    """(uid, gid) of the user the cluster's server runs as: its data directory's owner."""
    st = os.stat(sql(db, "", pg="SHOW data_directory;"))
    return st.st_uid, st.st_gid


def pg_move_to_tablespace(db, directory):
    """Makes directory (empty, owned by the server's user) a tablespace and moves every table
    and index of the application there (the catalogs stay). Dropped with db."""
    name = "mc_ts_%s" % secrets.token_hex(5)
    _admin("CREATE TABLESPACE \"%s\" LOCATION %s;" % (name, _literal(directory)))
    _made[db]["tablespaces"].append(name)
    sql(db, "", pg='ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE "%s";\n'
                   'ALTER INDEX ALL IN TABLESPACE pg_default SET TABLESPACE "%s";\n'
                   'ALTER MATERIALIZED VIEW ALL IN TABLESPACE pg_default SET TABLESPACE "%s";\n'
                   % (name, name, name))
    return name
