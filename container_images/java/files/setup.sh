#!/bin/sh
# Runs as root at the end of the image build. javac spends most of a small compile
# loading its own classes: an archive of them (AppCDS, on top of the JDK's default
# CDS archive) cuts about a third off its start. Used through the compile command's
# -XX:SharedArchiveFile in runners/languages.py; an archive the JVM cannot use (made
# by another JDK build, or without compressed oops) is skipped without a word, so
# tests/runners/test_java.py checks that it is used.
set -eu
work=$(mktemp -d)
cd "$work"
cat >Main.java <<'JAVA'
import java.util.*;
import java.util.function.*;
import java.util.stream.*;

public class Main {
    record Point(int x, int y) {}

    enum Color { RED, GREEN }

    interface Shape { double area(); }

    static <T extends Comparable<T>> T largest(List<T> xs) {
        return Collections.max(xs);
    }

    public static void main(String[] args) throws Exception {
        Scanner in = new Scanner(System.in);
        List<Integer> xs = new ArrayList<>(List.of(3, 1, 2));
        Map<String, Integer> counts = new HashMap<>();
        Function<Integer, Integer> square = x -> x * x;
        Shape unit = () -> 1.0;
        String name = switch (Color.RED) { case RED -> "red"; case GREEN -> "green"; };
        var p = new Point(1, 2);
        int[] a = {3, 1, 2};
        try {
            Arrays.sort(a);
        } catch (RuntimeException e) {
            throw e;
        } finally {
            a[0]++;
        }
        System.out.printf("%s %d %s%n", name, largest(xs),
            xs.stream().map(square).collect(Collectors.toList()));
        System.out.println("Hello, world!" + p + counts + unit.area() + in.hasNext());
    }
}
JAVA
javac -J-XX:+UseSerialGC -J-XX:-UsePerfData -J-XX:MaxRAMPercentage=75 -J-XX:TieredStopAtLevel=1 \
  -J-XX:ArchiveClassesAtExit=/opt/playground/javac.jsa Main.java
chmod 0644 /opt/playground/javac.jsa
# The warm compiler (WarmJavac.java), and the program it warms up on: this one.
mkdir -p /opt/playground/warm
cp Main.java /opt/playground/warm/Sample.java
javac -d /opt/playground/warm /opt/playground/WarmJavac.java
chmod -R a+rX /opt/playground/warm
cd /
rm -rf "$work"
