package io.otaproxy.itests;

/**
 * How long the reliability tests run. {@code mvn verify} runs a few rounds; the long mode
 * ({@code -Preliability}) raises them, see docs/reliability.md.
 */
final class Reliability {

    /** Rounds of each upstream fault. */
    static final String ROUNDS = "reliability.rounds";
    /** Times each live operation is repeated under load. */
    static final String OPERATIONS = "reliability.operations";
    /** Concurrent clients. */
    static final String CLIENTS = "reliability.clients";

    private Reliability() {
    }

    static int rounds() {
        return Integer.getInteger(ROUNDS, 3);
    }

    static int operations() {
        return Integer.getInteger(OPERATIONS, 1);
    }

    static int clients() {
        return Integer.getInteger(CLIENTS, 4);
    }

    /** One line of figures, picked up from the test output for docs/reliability.md. */
    static void report(final String test, final String figures) {
        System.out.println("RELIABILITY " + test + ": " + figures);
    }
}
