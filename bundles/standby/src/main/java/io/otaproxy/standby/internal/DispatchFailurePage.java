package io.otaproxy.standby.internal;

import java.io.IOException;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The error page of a dispatch that failed because its servlet went away: the HTTP whiteboard picked the proxy
 * servlet for a request, and found it unregistered when it was about to call it (an update of the proxy bundle).
 * Felix HTTP catches that {@link ServletException} inside its dispatcher, out of reach of the
 * {@link DispatchGapGuard}, logs it and sends 500 through the context's error pages. This page takes the
 * exception's class: the servlets on the proxy's listener never throw a {@code ServletException} themselves, so
 * one that reaches it comes from the dispatch, and the client gets the standby's 503 with Retry-After, the truth,
 * instead of a 500. {@link StandbyActivator} registers it with the standby servlet.
 */
public final class DispatchFailurePage extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DispatchFailurePage.class);

    @Override
    protected void service(final HttpServletRequest request, final HttpServletResponse response) throws IOException {
        LOG.debug("Standby: 503 for {} {}: its dispatch failed ({})", request.getMethod(), request.getRequestURI(),
                request.getAttribute("jakarta.servlet.error.exception"));
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        StandbyServlet.answer(request, response);
    }
}
