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

  /**
   * The one balance formula: credits_posted - debits_posted. Both counters are in [0, MAX], so
   * this cannot overflow.
   */
  public static long balance(long creditsPosted, long debitsPosted) {
    return creditsPosted - debitsPosted;
  }

  /** The one available formula: balance - debits_pending; exact, it throws rather than wrap. */
  public static long available(long creditsPosted, long debitsPosted, long debitsPending) {
    return subtract(balance(creditsPosted, debitsPosted), debitsPending);
  }
}
