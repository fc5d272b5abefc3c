package ledger.tools;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one option parser of the tools: {@code --name value} and bare {@code --flag}s, each tool
 * naming which it takes; anything else is refused before the tool does any work. Every tool also
 * takes {@code --key} (the API key) and {@code --help}. Values are read with a default and
 * checked here: a bad one is an IllegalArgumentException naming the option.
 */
public final class CommandLine {
  private static final Set<String> COMMON_VALUES = Set.of("key");
  private static final Set<String> COMMON_FLAGS = Set.of("help");
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");

  private final Map<String, String> given;

  private CommandLine(Map<String, String> given) {
    this.given = given;
  }

  public static CommandLine parse(String[] args, Set<String> values, Set<String> flags) {
    Map<String, String> given = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String name = args[i].startsWith("--") ? args[i].substring(2) : "";
      if (flags.contains(name) || COMMON_FLAGS.contains(name)) {
        given.put(name, "true");
      } else if ((values.contains(name) || COMMON_VALUES.contains(name)) && i + 1 < args.length) {
        given.put(name, args[++i]);
      } else {
        Set<String> known = new TreeSet<>(values);
        known.addAll(flags);
        known.addAll(COMMON_VALUES);
        throw new IllegalArgumentException("unknown option or missing value: " + args[i] + " (options: --"
            + String.join(", --", known) + ")");
      }
    }
    return new CommandLine(given);
  }

  public boolean flag(String name) {
    return given.containsKey(name);
  }

  public String text(String name, String otherwise) {
    return given.getOrDefault(name, otherwise);
  }

  public int whole(String name, int otherwise) {
    try {
      return given.containsKey(name) ? Integer.parseInt(given.get(name)) : otherwise;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a whole number, not " + given.get(name));
    }
  }

  public long wholeLong(String name, long otherwise) {
    try {
      return given.containsKey(name) ? Long.parseLong(given.get(name)) : otherwise;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a whole number, not " + given.get(name));
    }
  }

  public double number(String name, double otherwise) {
    try {
      double v = given.containsKey(name) ? Double.parseDouble(given.get(name)) : otherwise;
      if (!Double.isFinite(v)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + name + " needs a number, not " + given.get(name));
    }
  }

  /** A duration: 90 (seconds), 90s, 500ms, 10m, 1h. */
  public Duration duration(String name, String otherwise) {
    return parseDuration(given.getOrDefault(name, otherwise), name);
  }

  /** A duration range MIN-MAX (or one duration for both). */
  public Duration[] range(String name, String otherwise) {
    String text = given.getOrDefault(name, otherwise);
    String[] parts = text.split("-", 2);
    Duration lo = parseDuration(parts[0], name);
    Duration hi = parts.length == 2 ? parseDuration(parts[1], name) : lo;
    if (hi.compareTo(lo) < 0) {
      throw new IllegalArgumentException("--" + name + " " + text + ": MIN-MAX with MIN <= MAX");
    }
    return new Duration[] {lo, hi};
  }

  /** A comma-separated list, e.g. --nodes http://127.0.0.1:8081,http://127.0.0.1:8082. */
  public List<String> list(String name, List<String> otherwise) {
    if (!given.containsKey(name)) {
      return otherwise;
    }
    List<String> items = new ArrayList<>(Arrays.asList(given.get(name).split(",")));
    items.removeIf(String::isBlank);
    return List.copyOf(items);
  }

  private static Duration parseDuration(String text, String name) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("--" + name + ": not a duration: " + text + " (90, 90s, 10m, 1h, 500ms)");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofSeconds(n);
    };
  }
}
