package ledger.auth;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.Config;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import ledger.cassandra.CassandraConnection;

/**
 * {@code ./ledger keys create|list|revoke}: administers the api_keys table directly, with the
 * node's configuration (no node needed). Exit codes: 0 done, 1 failed, 2 bad options.
 */
public final class KeysCli {
  static final String USAGE = "usage: keys create --scopes S1,S2 [--accounts PREFIX ...] [--expires 30d|2027-01-01T00:00:00Z]"
      + " [--name TEXT]\n       keys list\n       keys revoke ID\nscopes: "
      + String.join(", ", EnumSet.allOf(Scope.class).stream().map(Scope::wire).toList());
  private static final Pattern PREFIX = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$");
  private static final Pattern RELATIVE = Pattern.compile("^([1-9][0-9]{0,4})([dhm])$");
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Options the user got wrong: the message and exit code 2. */
  static final class BadOptions extends RuntimeException {
    BadOptions(String message) {
      super(message);
    }
  }

  record CreateOptions(Set<Scope> scopes, List<String> prefixes, Instant expiresAt, String name) {}

  private final Config config;
  private final PrintStream out;
  private final PrintStream err;
  private final Clock clock;

  public KeysCli(Config config, PrintStream out, PrintStream err, Clock clock) {
    this.config = config;
    this.out = out;
    this.err = err;
    this.clock = clock;
  }

  /** {@code args} without the leading "keys". */
  public int run(List<String> args) {
    try {
      if (args.isEmpty()) {
        throw new BadOptions("a command is required");
      }
      return switch (args.get(0)) {
        case "create" -> create(parseCreate(args.subList(1, args.size()), clock.instant()));
        case "list" -> list(args.subList(1, args.size()));
        case "revoke" -> revoke(args.subList(1, args.size()));
        default -> throw new BadOptions("unknown command " + args.get(0));
      };
    } catch (BadOptions e) {
      err.println("keys: " + e.getMessage());
      err.println(USAGE);
      return 2;
    } catch (RuntimeException e) {
      err.println("keys: failed: " + e.getMessage());
      return 1;
    }
  }

  // Its own few lines of parsing, not the tools' CommandLine: that lives in ledger-tools, which
  // the node must not depend on, and it has neither a many-valued option (--accounts) nor
  // commands, nor the exit code 2 of options gone wrong.
  static CreateOptions parseCreate(List<String> args, Instant now) {
    Set<Scope> scopes = null;
    List<String> prefixes = new ArrayList<>();
    Instant expires = null;
    String name = "";
    for (int i = 0; i < args.size(); i++) {
      String option = args.get(i);
      switch (option) {
        case "--scopes" -> scopes = scopes(value(args, ++i, option));
        case "--accounts" -> {
          do {
            prefixes.add(prefix(value(args, ++i, option)));
          } while (i + 1 < args.size() && !args.get(i + 1).startsWith("--"));
        }
        case "--expires" -> expires = expires(value(args, ++i, option), now);
        case "--name" -> name = name(value(args, ++i, option));
        default -> throw new BadOptions("unknown option " + option);
      }
    }
    return validated(scopes, prefixes, expires, name);
  }

  private static CreateOptions validated(Set<Scope> scopes, List<String> prefixes, Instant expires, String name) {
    if (scopes == null) {
      throw new BadOptions("--scopes is required");
    }
    if (prefixes.size() > AuthSettings.PREFIXES_MAX) {
      throw new BadOptions("at most " + AuthSettings.PREFIXES_MAX + " account prefixes");
    }
    if (!prefixes.isEmpty() && scopes.stream().anyMatch(Scope::isOps)) {
      throw new BadOptions("a key limited to account prefixes may not hold ops:read or ops:admin "
          + "(recon and metrics span every tenant)");
    }
    return new CreateOptions(scopes, Caller.normalized(prefixes), expires, name);
  }

  private static String value(List<String> args, int i, String option) {
    if (i >= args.size() || args.get(i).startsWith("--")) {
      throw new BadOptions(option + " needs a value");
    }
    return args.get(i);
  }

  private static Set<Scope> scopes(String text) {
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (String s : text.split(",", -1)) {
      scopes.add(Scope.parse(s.strip()).orElseThrow(() -> new BadOptions("unknown scope '" + s + "'")));
    }
    return scopes;
  }

  private static String prefix(String text) {
    if (!PREFIX.matcher(text).matches()) {
      throw new BadOptions("an account prefix must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$: " + text);
    }
    return text;
  }

  private static Instant expires(String text, Instant now) {
    Matcher m = RELATIVE.matcher(text);
    Instant at;
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      at = now.plus(switch (m.group(2)) {
        case "d" -> Duration.ofDays(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofMinutes(n);
      });
    } else {
      try {
        at = Instant.parse(text);
      } catch (DateTimeParseException e) {
        throw new BadOptions("--expires takes a duration (30d, 12h, 90m) or a UTC time (2027-01-01T00:00:00Z)");
      }
    }
    if (!at.isAfter(now)) {
      throw new BadOptions("--expires is in the past");
    }
    return at;
  }

  private static String name(String text) {
    if (text.length() > AuthSettings.NAME_LENGTH_MAX || text.chars().anyMatch(Character::isISOControl)) {
      throw new BadOptions("--name has at most " + AuthSettings.NAME_LENGTH_MAX + " printable characters");
    }
    return text;
  }

  private int create(CreateOptions o) {
    KeyHasher hasher = AuthSettings.fromConfig(config).hasher();
    ApiKey key = ApiKey.generate();
    KeyRecord record = new KeyRecord(key.id(), hasher.hash(key.secret()), o.name(), o.scopes(), o.prefixes(),
        clock.instant(), o.expiresAt(), null);
    boolean inserted = withStore(store -> store.insertIfAbsent(record));
    if (!inserted) {
      throw new IllegalStateException("key id " + key.id() + " exists already; run again");
    }
    out.println("Created key " + key.id() + ". It is shown only now; keep it secret:");
    out.println(key.text());
    return 0;
  }

  private int list(List<String> args) {
    if (!args.isEmpty()) {
      throw new BadOptions("list takes no arguments");
    }
    List<KeyRecord> keys = new ArrayList<>(withStore(KeyStore::list));
    keys.sort(Comparator.comparing(KeyRecord::createdAt, Comparator.nullsFirst(Comparator.naturalOrder())));
    out.printf("%-16s  %-20s  %-24s  %-24s  %-24s  %-40s  %s%n", "ID", "NAME", "CREATED", "EXPIRES", "REVOKED",
        "SCOPES", "ACCOUNT PREFIXES");
    for (KeyRecord k : keys) {
      out.printf("%-16s  %-20s  %-24s  %-24s  %-24s  %-40s  %s%n", k.id(), k.name() == null ? "" : k.name(),
          k.createdAt(), orDash(k.expiresAt()), orDash(k.revokedAt()),
          String.join(",", k.scopes().stream().sorted().map(Scope::wire).toList()),
          k.prefixes().isEmpty() ? "(all accounts)" : String.join(" ", k.prefixes()));
    }
    return 0;
  }

  private int revoke(List<String> args) {
    if (args.size() != 1 || !ApiKey.isId(args.get(0))) {
      throw new BadOptions("revoke takes one key id (16 hex characters, as `keys list` shows)");
    }
    String id = args.get(0);
    if (!withStore(store -> store.revoke(id, clock.instant()))) {
      err.println("keys: no key " + id);
      return 1;
    }
    out.println("Revoked key " + id + " (every node refuses it within ledger.auth.cache-ttl).");
    return 0;
  }

  private static String orDash(Instant at) {
    return at == null ? "-" : at.toString();
  }

  private <T> T withStore(java.util.function.Function<KeyStore, java.util.concurrent.CompletionStage<T>> action) {
    try (CqlSession session = CassandraConnection.openSession(config)) {
      KeyStore store = new CassandraKeyStore(() -> CompletableFuture.completedFuture(session),
          config.getString("ledger.cassandra.keyspace"), TIMEOUT);
      return action.apply(store).toCompletableFuture().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(cause.getMessage(), cause);
    }
  }
}
