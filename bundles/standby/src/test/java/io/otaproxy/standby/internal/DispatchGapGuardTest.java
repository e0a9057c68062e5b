package io.otaproxy.standby.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.junit.Test;

public class DispatchGapGuardTest {

    /** A response that records what is set on it; committed once {@code committed[0]} is true. */
    private static final class Recorded {
        final Map<String, String> headers = new HashMap<>();
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        final boolean[] committed = {false};
        int status = 200;
        boolean reset;

        HttpServletResponse response() {
            final ServletOutputStream out = new ServletOutputStream() {
                @Override
                public void write(final int b) {
                    body.write(b);
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(final WriteListener listener) {
                    throw new UnsupportedOperationException();
                }
            };
            return (HttpServletResponse) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "isCommitted":
                                return committed[0];
                            case "reset":
                                reset = true;
                                return null;
                            case "setStatus":
                                status = (Integer) args[0];
                                return null;
                            case "setHeader":
                                headers.put((String) args[0], (String) args[1]);
                                return null;
                            case "setContentType":
                                headers.put("Content-Type", (String) args[0]);
                                return null;
                            case "setContentLength":
                                headers.put("Content-Length", args[0].toString());
                                return null;
                            case "getOutputStream":
                                return out;
                            default:
                                throw new UnsupportedOperationException(method.getName());
                        }
                    });
        }
    }

    private static HttpServletRequest get() {
        return (HttpServletRequest) Proxy.newProxyInstance(DispatchGapGuardTest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getMethod":
                            return "GET";
                        case "getRequestURL":
                            return new StringBuffer("http://origin.example/f.bin");
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    @Test
    public void aServletUnregisteredDuringItsDispatchIsAnsweredWithTheStandbysRetry() throws Exception {
        final Recorded r = new Recorded();
        final FilterChain unregistered = (request, response) -> {
            throw new ServletException("Servlet has been unregistered");
        };
        new DispatchGapGuard().doFilter(get(), r.response(), unregistered);
        assertTrue("whatever the failed dispatch set is discarded", r.reset);
        assertEquals(503, r.status);
        assertEquals("1", r.headers.get("Retry-After"));
        final String text = r.body.toString(StandardCharsets.UTF_8);
        assertTrue(text, text.contains("try again"));
        assertEquals(Integer.toString(r.body.size()), r.headers.get("Content-Length"));
    }

    @Test
    public void aFailureAfterTheResponseStartedIsLeftToTheContainer() throws Exception {
        final Recorded r = new Recorded();
        final ServletException failure = new ServletException("late");
        final FilterChain failsLate = (request, response) -> {
            r.committed[0] = true;
            throw failure;
        };
        try {
            new DispatchGapGuard().doFilter(get(), r.response(), failsLate);
            fail("the exception must pass");
        } catch (final ServletException e) {
            assertSame(failure, e);
        }
        assertEquals("nothing rewritten", 200, r.status);
    }

    @Test
    public void otherFailuresAndNormalAnswersPassUntouched() throws Exception {
        final Recorded r = new Recorded();
        new DispatchGapGuard().doFilter(get(), r.response(), (request, response) -> { });
        assertEquals(200, r.status);
        final IOException io = new IOException("client gone");
        try {
            new DispatchGapGuard().doFilter(get(), r.response(), (request, response) -> {
                throw io;
            });
            fail("the exception must pass");
        } catch (final IOException e) {
            assertSame(io, e);
        }
        assertEquals(200, r.status);
    }
}
