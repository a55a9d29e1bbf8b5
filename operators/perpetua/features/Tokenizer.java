package perpetua.features;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits free text into lower-case tokens: maximal runs of letters and digits (any script), at most
 * {@link #MAX_TOKENS} per text so that one huge message cannot stall a batch.
 */
public final class Tokenizer {

    /** Tokens kept per text; the rest of a longer text is ignored. */
    public static final int MAX_TOKENS = 2000;

    private Tokenizer() {}

    /** Returns the tokens of {@code text} in order, or an empty list for null. */
    public static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        if (text == null) {
            return out;
        }
        int n = text.length();
        int i = 0;
        while (i < n && out.size() < MAX_TOKENS) {
            int cp = text.codePointAt(i);
            if (!Character.isLetterOrDigit(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            int start = i;
            while (i < n) {
                int c = text.codePointAt(i);
                if (!Character.isLetterOrDigit(c)) {
                    break;
                }
                i += Character.charCount(c);
            }
            out.add(text.substring(start, i).toLowerCase(Locale.ROOT));
        }
        return out;
    }
}
