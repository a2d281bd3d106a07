# A simulated PrestaShop 8.2.1 shop (prestashop-sim: the Webservice and the module's carttotal controller),
# in place of PrestaShop, which cannot be installed in a container without the network. It is the hub's
# runtime image (the same binaries and libraries, uid 65532) running `prestashop-sim`; its health check asks
# the shop's home page. Built by deploy/local/build-images.sh after hub.Dockerfile.
FROM fulfillment-hub/hub:local
LABEL org.opencontainers.image.title="fulfillment-hub prestashop-sim (local)" \
      org.opencontainers.image.description="Simulated PrestaShop 8.2.1 Webservice for the local container stack"
USER 65532:65532
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/prestashop-sim"]
CMD ["--listen", "127.0.0.1:8080"]
