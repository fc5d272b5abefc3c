package ledger.core;

import java.util.regex.Pattern;

/** Client-chosen ids of accounts and transfers: {@code ^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$}. */
public final class Ids {
  private static final Pattern ID = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$");

  private Ids() {}

  public static boolean isValid(String id) {
    return id != null && ID.matcher(id).matches();
  }
}
