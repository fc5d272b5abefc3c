package ledger.money;

import java.util.regex.Pattern;

/**
 * Money is a {@code long} of minor units with a currency code; all arithmetic here is exact
 * and throws {@link ArithmeticException} on overflow rather than wrapping around.
 */
public final class Money {
  private static final Pattern CURRENCY = Pattern.compile("^[A-Z][A-Z0-9_]{1,15}$");

  private Money() {}

  public static boolean isCurrency(String s) {
    return s != null && CURRENCY.matcher(s).matches();
  }

  public static long add(long a, long b) {
    return Math.addExact(a, b);
  }

  public static long subtract(long a, long b) {
    return Math.subtractExact(a, b);
  }
}
