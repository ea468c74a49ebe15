package io.roomcast.support;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Word error rate as ../shared/speech/README.md scores it. */
public final class Wer {
    private Wer() {
    }

    public static List<String> words(String text) {
        String t = " " + text.toLowerCase().replaceAll("[^a-z0-9' ]", " ").replaceAll("\\s+", " ") + " ";
        t = t.replace(" mister ", " mr ").replace(" seat belts ", " seatbelts ").replace(" dishonoured ", " dishonored ")
                .replace(" for ever ", " forever ").replace(" real time ", " realtime ");
        List<String> out = new ArrayList<>();
        for (String w : t.trim().split(" ")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    /** Word-level edit distance between reference and hypothesis. */
    public static int errors(String reference, String hypothesis) {
        List<String> r = words(reference);
        List<String> h = words(hypothesis);
        int[] prev = new int[h.size() + 1];
        int[] cur = new int[h.size() + 1];
        for (int j = 0; j <= h.size(); j++) prev[j] = j;
        for (int i = 1; i <= r.size(); i++) {
            cur[0] = i;
            for (int j = 1; j <= h.size(); j++) {
                int sub = prev[j - 1] + (r.get(i - 1).equals(h.get(j - 1)) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[h.size()];
    }

    public static double rate(String reference, String hypothesis) {
        return errors(reference, hypothesis) / (double) Math.max(1, words(reference).size());
    }

    /** The reference transcript of a clip from manifest.tsv. */
    public static String reference(String clip) throws IOException {
        for (String line : Files.readAllLines(Wav.speech("manifest.tsv"))) {
            String[] f = line.split("\t");
            if (f[0].equals(clip)) return f[2];
        }
        throw new IllegalArgumentException(clip + " not in manifest: " + Arrays.toString(new String[0]));
    }
}
