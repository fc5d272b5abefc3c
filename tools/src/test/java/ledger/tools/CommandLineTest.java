package ledger.tools;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.Test;

public class CommandLineTest {
  private static CommandLine parse(String... args) {
    return CommandLine.parse(args, Set.of("duration", "nodes", "count", "pause"), Set.of("hot"));
  }

  @Test
  public void readsValuesFlagsAndDefaults() {
    CommandLine c = parse("--duration", "10m", "--hot", "--nodes", "http://a:1,http://b:2", "--key", "k");
    assertEquals(Duration.ofMinutes(10), c.duration("duration", "30"));
    assertTrue(c.flag("hot"));
    assertFalse(c.flag("help"));
    assertEquals(List.of("http://a:1", "http://b:2"), c.list("nodes", List.of()));
    assertEquals("k", c.text("key", null));
    assertEquals(7, c.whole("count", 7));
    assertEquals(Duration.ofSeconds(30), parse().duration("duration", "30"));
    assertEquals(Duration.ofMillis(500), parse("--duration", "500ms").duration("duration", "1"));
  }

  @Test
  public void readsRanges() {
    Duration[] r = parse("--pause", "2s-1m").range("pause", "1s");
    assertEquals(Duration.ofSeconds(2), r[0]);
    assertEquals(Duration.ofMinutes(1), r[1]);
    assertThrows(IllegalArgumentException.class, () -> parse("--pause", "9s-1s").range("pause", "1s"));
  }

  @Test
  public void refusesWhatItDoesNotKnow() {
    assertThrows(IllegalArgumentException.class, () -> parse("--bogus", "1"));
    assertThrows(IllegalArgumentException.class, () -> parse("--count"));
    assertThrows(IllegalArgumentException.class, () -> parse("count", "3"));
    assertThrows(IllegalArgumentException.class, () -> parse("--count", "three").whole("count", 1));
    assertThrows(IllegalArgumentException.class, () -> parse("--duration", "soon").duration("duration", "1"));
    assertThrows(IllegalArgumentException.class, () -> parse("--duration", "99999999999").duration("duration", "1"));
  }
}
