package ledger.http;

import akka.http.javadsl.model.AttributeKey;
import akka.http.javadsl.model.AttributeKeys;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.Route;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import ledger.auth.Caller;
import ledger.core.ResultCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail of the API: every request that may change something (any method but GET,
 * HEAD and OPTIONS, refused ones included) leaves exactly one line on the logger
 * {@code ledger.audit}, written once its answer is known (docs/design.md "Audit"). Every
 * request, read or write, gets a request id, echoed in X-Request-Id.
 */
final class Audit extends AllDirectives {
  static final String LOGGER = "ledger.audit";
  static final String REQUEST_ID = "X-Request-Id";
  /** This request's entry, for the layers below to note who called and which ids it names. */
  static final AttributeKey<Entry> ENTRY = AttributeKey.create("ledger-audit", Entry.class);
  /** The ids a line lists of each kind; past it the line gives how many were named too. */
  static final int IDS_MAX = 10;
  /** Longest id a line shows: valid ids are at most 64, an invalid one (as asked) is cut. */
  static final int ID_LENGTH_MAX = 80;
  /** Longest value a line shows, before escaping: a list of ids, a JWT subject (≤ 128 + 4), a header. */
  static final int VALUE_LENGTH_MAX = 1024;

  private static final Logger log = LoggerFactory.getLogger(LOGGER);
  /** A client's request id is taken only if it is short and safe to log and to echo as it is. */
  private static final Pattern CLIENT_REQUEST_ID = Pattern.compile("^[A-Za-z0-9._:-]{1,64}$");
  private static final Pattern BARE = Pattern.compile("^[A-Za-z0-9._:/@,+-]+$");
  private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");

  /**
   * Gives the request its id (the client's if acceptable, else a new one) and, for a change,
   * an {@link Entry} written when the answer is known: the route's, or the timeout's answer
   * if the request timed out first (this handler replaces {@link HttpApi#timeoutsAsErrors}'s).
   */
  Route audited(Supplier<Route> inner) {
    return extractRequest(request -> {
      String id = requestId(request);
      if (READS.contains(request.method().value())) {
        return withRequestTimeoutResponse(timedOut -> withId(HttpApi.timedOut(timedOut), id),
            () -> mapResponse(response -> withId(response, id), inner));
      }
      Entry entry = new Entry(id, request, System.nanoTime());
      return mapRequest(r -> r.addAttribute(ENTRY, entry), () -> withRequestTimeoutResponse(
          timedOut -> entry.done(withId(HttpApi.timedOut(timedOut), id)),
          () -> mapResponse(response -> entry.done(withId(response, id)), inner)));
    });
  }

  private static HttpResponse withId(HttpResponse response, String id) {
    return response.getHeader(REQUEST_ID).isPresent() ? response : response.addHeader(RawHeader.create(REQUEST_ID, id));
  }

  private static String requestId(HttpRequest request) {
    return request.getHeader(REQUEST_ID)
        .map(h -> h.value())
        .filter(v -> CLIENT_REQUEST_ID.matcher(v).matches())
        .orElseGet(Audit::newRequestId);
  }

  /** 16 hex digits (String.format would parse its pattern on every request). */
  static String newRequestId() {
    String hex = Long.toHexString(ThreadLocalRandom.current().nextLong());
    return "0000000000000000".substring(hex.length()) + hex;
  }

  /**
   * What one audited request did, filled in as it goes (on whatever threads its futures run)
   * and written once: the first answer wins, a later one (the route's, after a timeout's) is dropped.
   */
  static final class Entry {
    /** For a read: notes nothing, written never (reads name no ids; this is only a safe default). */
    static final Entry NONE = new Entry();

    private final String requestId;
    private final String method;
    private final String route;
    private final String client;
    private final String forwardedFor;
    private final long startNanos;
    private final List<String> accounts = new ArrayList<>();
    private final List<String> transfers = new ArrayList<>();
    private int accountCount;
    private int transferCount;
    /** An id was named that the line cannot list (past IDS_MAX): the counts are shown. */
    private boolean accountsCut;
    private boolean transfersCut;
    /** A batch's results by status (posted, pending, rejected, failed): a handful of keys. */
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private String caller;
    private boolean written;

    private Entry() {
      this.requestId = null;
      this.method = null;
      this.route = null;
      this.client = null;
      this.forwardedFor = null;
      this.startNanos = 0;
      this.written = true;
    }

    Entry(String requestId, HttpRequest request, long startNanos) {
      String path = request.getUri().path();
      this.requestId = requestId;
      this.method = request.method().value();
      Optional<ApiRoute> r = ApiRoute.of(method, path);
      this.route = r.map(x -> x.name().toLowerCase(java.util.Locale.ROOT)).orElse(ApiRoute.OTHER);
      this.client = request.getAttribute(AttributeKeys.remoteAddress)
          .flatMap(a -> a.getAddress()).map(InetAddress::getHostAddress).orElse("unknown");
      this.forwardedFor = request.getHeader("X-Forwarded-For").map(h -> h.value()).orElse(null);
      this.startNanos = startNanos;
      // The id in the path (it may be invalid: the line shows what was asked, escaped).
      r.ifPresent(x -> x.pathId(path).ifPresent(id -> {
        if (x.template().startsWith("/accounts/")) {
          account(id);
        } else {
          transfer(id);
        }
      }));
    }

    synchronized void caller(Caller c) {
      caller = c.keyId();
    }

    synchronized void account(String id) {
      if (this != NONE) {
        accountsCut |= !note(accounts, id);
        accountCount++;
      }
    }

    synchronized void accounts(Collection<String> ids) {
      ids.forEach(this::account);
    }

    synchronized void transfer(String id) {
      if (this != NONE) {
        transfersCut |= !note(transfers, id);
        transferCount++;
      }
    }

    /** One element of a batch ended with this status. */
    synchronized void outcome(String status) {
      if (this != NONE) {
        outcomes.merge(status, 1, Integer::sum);
      }
    }

    /** Whether {@code id} is listed (now or already). */
    private static boolean note(List<String> ids, String asked) {
      String id = asked.length() > ID_LENGTH_MAX ? asked.substring(0, ID_LENGTH_MAX) + "..." : asked;
      if (ids.contains(id)) {
        return true;
      }
      return ids.size() < IDS_MAX && ids.add(id);
    }

    /** Writes the line for this answer, if none was written yet; hands the answer on unchanged. */
    HttpResponse done(HttpResponse response) {
      String line;
      synchronized (this) {
        if (written) {
          return response;
        }
        written = true;
        line = line(response);
      }
      log.info(line);
      return response;
    }

    private String line(HttpResponse response) {
      int status = response.status().intValue();
      String code = response.getAttribute(ErrorMapping.CODE).map(ResultCode::wire)
          .orElse(status < 400 ? "ok" : "http_" + status);
      StringBuilder b = new StringBuilder("audit");
      field(b, "request_id", requestId);
      field(b, "route", route);
      field(b, "method", method);
      field(b, "status", Integer.toString(status));
      field(b, "code", code);
      if (!outcomes.isEmpty()) {
        field(b, "outcomes", outcomes.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
            .collect(java.util.stream.Collectors.joining(",")));
      }
      field(b, "caller", caller);
      ids(b, "accounts", accounts, accountsCut, accountCount);
      ids(b, "transfers", transfers, transfersCut, transferCount);
      field(b, "client", client);
      field(b, "forwarded_for", forwardedFor);
      field(b, "duration_ms", Long.toString((System.nanoTime() - startNanos) / 1_000_000));
      return b.toString();
    }

    /**
     * The first {@link #IDS_MAX} distinct ids named and, if some are not listed, how many were
     * named (repeats included).
     */
    private static void ids(StringBuilder b, String name, List<String> ids, boolean cut, int count) {
      if (!ids.isEmpty()) {
        field(b, name, String.join(",", ids));
      }
      if (cut) {
        field(b, name + "_count", Integer.toString(count));
      }
    }
  }

  /** {@code name=value}, a value quoted and escaped unless it is bare, so that no value can add a field or a line. */
  static void field(StringBuilder b, String name, String value) {
    if (value == null) {
      return;
    }
    b.append(' ').append(name).append('=');
    String v = value.length() > VALUE_LENGTH_MAX ? value.substring(0, VALUE_LENGTH_MAX) + "..." : value;
    if (BARE.matcher(v).matches()) {
      b.append(v);
      return;
    }
    b.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x7f || Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
