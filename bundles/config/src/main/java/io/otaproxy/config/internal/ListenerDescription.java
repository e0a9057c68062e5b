package io.otaproxy.config.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The form of the two Felix HTTP factory configurations this bridge writes: the proxy's own listener
 * ({@code org.apache.felix.http~otaproxy}) and the admin endpoint's ({@code ~otaproxy-admin}). Felix HTTP describes
 * only its singleton PID, so without this a console shows no form for either. It describes the keys written here,
 * with their ranges; Felix HTTP reads many more, which a console may still add by hand.
 */
@ObjectClassDefinition(id = ConfigKeys.HTTP_FACTORY_PID, factoryPid = ConfigKeys.HTTP_FACTORY_PID,
        name = "ota-proxy: HTTP listener (Felix HTTP instance)",
        description = "An instance of Felix HTTP. ota-proxy writes two: 'otaproxy', the proxy's listener, whose address"
                + " and port follow listen.addr and listen.port of io.otaproxy.proxy (set them there: set here they are"
                + " put back), and 'otaproxy-admin', the admin endpoint's. Any edit restarts the instance and drops its"
                + " connections.")
@interface ListenerDescription {

    @AttributeDefinition(name = "Instance name", description = "otaproxy: the proxy's listener, on which its servlets"
            + " register; otaproxy-admin: the admin endpoint's.")
    String org_apache_felix_http_name() default ConfigKeys.HTTP_CONFIG_NAME;

    @AttributeDefinition(name = "Listen address", description = "An IP address; 0.0.0.0 for every interface. For"
            + " 'otaproxy' written from listen.addr of io.otaproxy.proxy.")
    String org_apache_felix_http_host() default "0.0.0.0";

    @AttributeDefinition(name = "Port", min = "1", max = "65535", description = "The TCP port. For 'otaproxy' written"
            + " from listen.port of io.otaproxy.proxy.")
    int org_osgi_service_http_port() default 8082;

    @AttributeDefinition(name = "HTTP on", description = "Whether the instance listens for plain HTTP.")
    boolean org_apache_felix_http_enable() default true;

    @AttributeDefinition(name = "HTTPS on", description = "ota-proxy listens for plain HTTP only.")
    boolean org_apache_felix_https_enable() default false;

    @AttributeDefinition(name = "Idle timeout (ms)", min = "1", description = "A client connection idle this long is"
            + " closed (client_idle_timeout_s in proxy_info.yml).")
    int org_apache_felix_http_timeout() default ProxyInfo.DEFAULT_CLIENT_IDLE_TIMEOUT_MS;

    @AttributeDefinition(name = "URI compliance", options = {
        @org.osgi.service.metatype.annotations.Option(value = "UNSAFE"),
        @org.osgi.service.metatype.annotations.Option(value = "LEGACY"),
        @org.osgi.service.metatype.annotations.Option(value = "DEFAULT")},
            description = "UNSAFE for the proxy: a forward proxy passes request targets on as clients wrote them.")
    String org_eclipse_jetty_UriComplianceMode() default ConfigurationMapping.URI_COMPLIANCE_UNSAFE;

    @AttributeDefinition(name = "Response buffer (bytes)", min = "1024",
            description = "Jetty's response buffer per request.")
    int org_apache_felix_http_jetty_responseBufferSize() default ConfigurationMapping.RESPONSE_BUFFER_BYTES;

    @AttributeDefinition(name = "Request head limit (bytes)", min = "1024",
            description = "The largest request line and headers taken; a larger head gets 431.")
    int org_apache_felix_http_jetty_headerBufferSize() default ConfigurationMapping.MAX_REQUEST_HEAD_BYTES;

    @AttributeDefinition(name = "Request buffer (bytes)", min = "1024", description = "Jetty's request buffer.")
    int org_apache_felix_http_jetty_requestBufferSize() default ConfigurationMapping.REQUEST_BUFFER_BYTES;

    @AttributeDefinition(name = "Server header", description = "Whether answers carry Jetty's Server header.")
    boolean org_apache_felix_http_jetty_sendServerHeader() default false;

    @AttributeDefinition(name = "Most threads", min = "4", description = "The instance's thread pool; the proxy waits"
            + " for slow clients by callback, so a few threads serve any number of them.")
    int org_apache_felix_http_jetty_threadpool_max() default ConfigurationMapping.PROXY_THREADS;
}
