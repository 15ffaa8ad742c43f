// Portable-YAML differential reader in Java (see tests/readers/README.md): SnakeYAML as
// its documentation recommends for untrusted input, new Yaml(new SafeConstructor(...)).
//
// Usage: java -cp /usr/share/java/snakeyaml.jar:DIR Reader, then one file path a line on
// stdin; prints one line of canonical JSON a file: {"ok": {...}} or {"error": "..."}.

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

public class Reader {
    static final DateTimeFormatter ISO =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String tagged(String tag, String value) {
        return "{" + quote(tag) + ":" + quote(value) + "}";
    }

    static String instant(Instant t) {
        return tagged("time", ISO.format(t));
    }

    static String key(Object k) {
        if (k instanceof String && !((String) k).startsWith("\0")) return quote((String) k);
        return quote("\0" + canon(k));
    }

    static String object(TreeMap<String, String> fields) {
        StringBuilder b = new StringBuilder("{");
        boolean first = true;
        for (Map.Entry<String, String> e : fields.entrySet()) {
            if (!first) b.append(',');
            first = false;
            b.append(e.getKey()).append(':').append(e.getValue());
        }
        return b.append('}').toString();
    }

    static String canon(Object v) {
        if (v == null) return "null";
        if (v instanceof Boolean) return v.toString();
        if (v instanceof String) return quote((String) v);
        if (v instanceof Integer || v instanceof Long || v instanceof BigInteger)
            return tagged("int", v.toString());
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d)) return tagged("float", "nan");
            if (Double.isInfinite(d)) return tagged("float", d > 0 ? "inf" : "-inf");
            return tagged("float", Double.toString(d));
        }
        if (v instanceof Date) return instant(((Date) v).toInstant());
        if (v instanceof byte[]) return tagged("binary", Base64.getEncoder().encodeToString((byte[]) v));
        if (v instanceof Set) {
            List<String> items = new ArrayList<>();
            for (Object x : (Set<?>) v) items.add(quote(canon(x)));
            Collections.sort(items);
            return "{\"set\":[" + String.join(",", items) + "]}";
        }
        if (v instanceof Map) {
            TreeMap<String, String> fields = new TreeMap<>();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) fields.put(key(e.getKey()), canon(e.getValue()));
            return object(fields);
        }
        if (v instanceof List) {
            List<String> items = new ArrayList<>();
            for (Object x : (List<?>) v) items.add(canon(x));
            return "[" + String.join(",", items) + "]";
        }
        return "{\"other\":" + quote(v.getClass().getName()) + ",\"repr\":" + quote(v.toString()) + "}";
    }

    // What a server does with a time field: a string is parsed as an RFC 3339 time.
    static String asTime(Object v) {
        if (v instanceof String) {
            try {
                return instant(OffsetDateTime.parse((String) v).toInstant());
            } catch (Exception e) {
                return "{\"badtime\":" + quote((String) v) + ",\"why\":" + quote(String.valueOf(e.getMessage())) + "}";
            }
        }
        return canon(v);
    }

    static String view(Object doc) {
        if (!(doc instanceof Map)) return "{\"document\":" + canon(doc) + "}";
        Map<?, ?> m = (Map<?, ?>) doc;
        TreeMap<String, String> out = new TreeMap<>();
        for (String top : new String[] {"version", "tokenPrefix", "permissions"})
            if (m.containsKey(top)) out.put(quote(top), canon(m.get(top)));
        if (m.containsKey("apiKeys")) {
            Object keys = m.get("apiKeys");
            if (keys instanceof Map) {
                TreeMap<String, String> ck = new TreeMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) keys).entrySet()) {
                    Object entry = e.getValue();
                    if (entry instanceof Map) {
                        Map<?, ?> em = (Map<?, ?>) entry;
                        TreeMap<String, String> f = new TreeMap<>();
                        for (Map.Entry<?, ?> x : em.entrySet()) {
                            Object k = x.getKey();
                            if ("createdAt".equals(k) || "expiresAt".equals(k)) f.put(key(k), asTime(x.getValue()));
                            else if ("previousHashes".equals(k) && x.getValue() instanceof List) {
                                List<String> items = new ArrayList<>();
                                for (Object p : (List<?>) x.getValue()) {
                                    if (p instanceof Map && ((Map<?, ?>) p).containsKey("expiresAt")) {
                                        TreeMap<String, String> pf = new TreeMap<>();
                                        for (Map.Entry<?, ?> y : ((Map<?, ?>) p).entrySet())
                                            pf.put(key(y.getKey()), "expiresAt".equals(y.getKey()) ? asTime(y.getValue()) : canon(y.getValue()));
                                        items.add(object(pf));
                                    } else items.add(canon(p));
                                }
                                f.put(key(k), "[" + String.join(",", items) + "]");
                            } else f.put(key(k), canon(x.getValue()));
                        }
                        ck.put(key(e.getKey()), object(f));
                    } else ck.put(key(e.getKey()), canon(entry));
                }
                out.put(quote("apiKeys"), object(ck));
            } else out.put(quote("apiKeys"), canon(keys));
        }
        return object(out);
    }

    public static void main(String[] args) throws Exception {
        PrintStream stdout = new PrintStream(System.out, true, "UTF-8");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String path;
        while ((path = in.readLine()) != null) {
            if (path.isEmpty()) continue;
            String res;
            try (InputStream s = Files.newInputStream(Paths.get(path))) {
                Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
                res = "{\"ok\":" + view(yaml.load(s)) + "}";
            } catch (Throwable e) {
                String msg = String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
                if (msg.length() > 400) msg = msg.substring(0, 400);
                res = "{\"error\":" + quote(e.getClass().getSimpleName() + ": " + msg) + "}";
            }
            stdout.println(res);
        }
    }
}
