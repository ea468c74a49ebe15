package io.roomcast.room;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/** Identifier rules. Ids end up in object keys and URLs, so only a safe alphabet is accepted. */
public final class Ids {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final char[] LETTERS = "abcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Ids() {
    }

    /** True when {@code id} is 1-64 of letters, digits, '_' and '-', not starting with a separator. */
    public static boolean isSafe(String id) {
        return id != null && SAFE.matcher(id).matches();
    }

    /** A room id in VideoSDK's style: {@code abcd-efgh-ijkl}. */
    public static String roomId() {
        StringBuilder sb = new StringBuilder(14);
        for (int i = 0; i < 12; i++) {
            if (i > 0 && i % 4 == 0) sb.append('-');
            sb.append(LETTERS[RANDOM.nextInt(LETTERS.length)]);
        }
        return sb.toString();
    }

    /** A 24-hex-digit id for sessions, outputs and jobs. */
    public static String hex24() {
        char[] out = new char[24];
        for (int i = 0; i < out.length; i++) out[i] = HEX[RANDOM.nextInt(16)];
        return new String(out);
    }
}
