package io.otaproxy.standby.internal;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.servlet.whiteboard.Preprocessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the last gap of a proxy servlet update: the HTTP whiteboard can pick a servlet for a request and find it
 * unregistered a moment later, when it is about to call it. Felix HTTP then fails the request with a
 * {@link ServletException} ("Servlet has been unregistered"), which Jetty answers 500. The servlets on the proxy's
 * listener never throw {@code ServletException} themselves, so one that reaches this preprocessor before anything
 * of the response was sent comes from the dispatch, and gets the standby's answer (503, Retry-After) instead.
 * {@link StandbyActivator} registers it with the standby servlet.
 */
public final class DispatchGapGuard implements Preprocessor {

    private static final Logger LOG = LoggerFactory.getLogger(DispatchGapGuard.class);

    @Override
    public void doFilter(final ServletRequest request, final ServletResponse response, final FilterChain chain)
            throws IOException, ServletException {
        try {
            chain.doFilter(request, response);
        } catch (final ServletException e) {
            if (response.isCommitted() || !(request instanceof HttpServletRequest httpRequest)
                    || !(response instanceof HttpServletResponse httpResponse)) {
                throw e;
            }
            LOG.debug("Standby: 503 for {} {}: the dispatch failed ({})", httpRequest.getMethod(),
                    httpRequest.getRequestURL(), e.getMessage());
            httpResponse.reset();
            StandbyServlet.answer(httpRequest, httpResponse);
        }
    }
}
