// Java's warm compiler (the protocol is in runners/sandbox.py): loads javac and
// compiles a small program while the container waits for its own, so that javac's
// classes are loaded and compiled by the JIT, then compiles Main.java the moment the
// run asks. Diagnostics go to stderr exactly as javac prints them; its exit code goes
// to the FIFO /tmp/.warm-done, which stays open until this JVM has exited.
// Runs as the run's user inside its container, before any of the run's code.
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

public class WarmJavac {
    public static void main(String[] args) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        try {
            Path dir = Files.createTempDirectory("warm");
            Files.copy(Path.of("/opt/playground/warm/Sample.java"), dir.resolve("Main.java"));
            javac.run(null, OutputStream.nullOutputStream(), OutputStream.nullOutputStream(),
                "-d", dir.toString(), dir.resolve("Main.java").toString());
        } catch (Exception e) {
            // compile cold, still correct
        }
        Files.readAllBytes(Path.of("/tmp/.warm-go")); // blocks until the run asks
        int code;
        try {
            code = javac.run(null, null, null, args);
        } catch (Throwable e) {
            System.err.println("javac: " + e);
            code = 1;
        }
        System.err.flush();
        OutputStream done = new FileOutputStream("/tmp/.warm-done");
        done.write((code + "\n").getBytes(StandardCharsets.US_ASCII));
        done.flush();
        Runtime.getRuntime().halt(0); // the FIFO closes as the process ends
    }
}
